"""The resident's screen: the page, its live event stream and the language switch."""

from __future__ import annotations

import json
import queue

from flask import Blueprint, Response, current_app, redirect, render_template, request, stream_with_context, url_for

from kiosk.domain.outcomes import (
    CardIssued,
    CardRefused,
    CheckedIn,
    IssueFailed,
    ReadFailed,
    TechnicianCard,
    UnknownCard,
)
from kiosk.i18n import DEFAULT_LOCALE, LOCALES
from kiosk.ports import PrinterState, ReaderState
from kiosk.station.screen_pages import TooManyScreens

bp = Blueprint("screen", __name__)
NOTICES = {"reprint_refused"}  # hub.notice names, each a fragment of its own
LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}
PRINTER_TROUBLE = {PrinterState.PAPER_OUT, PrinterState.COVER_OPEN, PrinterState.OFFLINE,
                   PrinterState.NO_ANSWER}
BROWSER_COOKIE = "kiosk_screen"
# A quiet stream writes a comment this often. A page whose browser died is only noticed when a
# write to it fails (the second after it closed), so this bounds how long the station, and
# with it `kiosk doctor` and the browser unit's watcher, still count a dead screen: 10 s.
KEEPALIVE_SECONDS = 5


def hub():
    return current_app.extensions["kiosk_hub"]


@bp.get("/")
def index():
    """The public screen; a tap from the last few seconds is shown at once (a technician
    page that a card tap sent here must not miss it)."""
    browser = request.cookies.get(BROWSER_COOKIE)
    page, new_cookie = hub().pages.open_page(browser, request.args.get("screen"))
    secrets = hub().pages.is_kiosk_page(page, new_cookie or browser)
    # ?idle=1: the page idled out or she closed her record: the idle screen, not her last tap
    last = None if request.args.get("idle") else hub().recent_tap(current_app.config["IDLE_SECONDS"])
    screen = screen_html(last, secrets) if last and still_shown(last) else None
    from kiosk.web.calling import band_html, current_board
    response = current_app.make_response(render_template(
        "index.html", status=hub().status, blocking=blocking_html(hub().status),
        demo="kiosk_demo" in current_app.extensions, screen=screen, page_token=page,
        band=band_html(current_board())))
    if new_cookie:
        response.set_cookie(BROWSER_COOKIE, new_cookie, max_age=3600 * 24 * 3650, httponly=True,
                            samesite="Strict")
    return response


# English is hers alone: the page goes back to Chinese when the screen idles out or the next
# resident taps (static/kiosk.js), and the cookie itself lasts only this long in case it does not.
ENGLISH_SECONDS = 600


@bp.get("/lang/<code>")
def set_language(code: str):
    response = redirect(url_for("screen.index", idle=request.args.get("idle") or None))
    if code in LOCALES and code != DEFAULT_LOCALE:
        response.set_cookie("lang", code, max_age=ENGLISH_SECONDS, samesite="Strict")
    elif code == DEFAULT_LOCALE:
        response.delete_cookie("lang", samesite="Strict")
    return response


@bp.get("/healthz")
def healthz():
    """For wait_for_ui, screen_watch and kiosk doctor: ``screens`` counts the pages on this
    machine with the live stream open (the touchscreen), ``screens_for_s`` how long that
    count has been zero or non-zero."""
    status = hub().status
    screens, steady = hub().screens()
    return {"reader": status.reader.value, "printer": status.printer.value,
            "receipts_waiting": status.backlog, "screens": screens,
            "screens_for_s": round(steady, 1)}


def still_shown(report) -> bool:
    """A recent tap is shown again to a page opened after it, except a technician's PIN form
    whose ticket a login or a logout used up: pressing 退出 must not bring back her PIN pad
    and name on the public screen."""
    services = current_app.extensions.get("kiosk_services")
    if isinstance(report.outcome, TechnicianCard) and getattr(report, "login", None) and services:
        return services.desk.ticket_live(report.login[0])
    return True


def screen_html(report, secrets: bool = False) -> tuple[str, str]:
    """(screen name, rendered fragment) for one tap report; the login form's tokens and her
    record link only with ``secrets`` (the kiosk's own page)."""
    outcome = report.outcome
    services = current_app.extensions.get("kiosk_services")
    if isinstance(outcome, CheckedIn):
        name = "already_checked_in" if outcome.repeat else "checked_in"
        link = (services.desk.record_link(outcome.resident_id, outcome.checkin_id)
                if services and secrets and outcome.verified and not outcome.visitor_card
                else None)
        from kiosk.web.calling import waiting_ahead
        ahead, wait = waiting_ahead(outcome.checkin_id)
        return name, render_template("fragments/checked_in.html", outcome=outcome,
                                     printer_trouble=hub().status.printer in PRINTER_TROUBLE,
                                     record_link=link, ahead=ahead, wait_minutes=wait)
    if isinstance(outcome, TechnicianCard) and report.issue_for:
        return "issue_at_kiosk", render_template("fragments/issue_at_kiosk.html",
                                                 whose=report.issue_for)
    if isinstance(outcome, TechnicianCard) and report.login and services:
        ticket, csrf = report.login if secrets else ("", "")
        # her desk's login page shows a code she may type here instead of her PIN
        desk_waiting = bool(secrets and services.desk_sessions
                            and services.desk_sessions.logins.waiting())
        return "pin_entry", render_template("fragments/pin_entry.html", name=outcome.name,
                                            ticket=ticket, csrf=csrf, desk_waiting=desk_waiting)
    if isinstance(outcome, CardRefused):
        return "card_refused", render_template("fragments/card_refused.html",
                                               reason=outcome.reason)
    if isinstance(outcome, CardIssued):
        return "card_issued", render_template("fragments/card_issued.html", outcome=outcome)
    if isinstance(outcome, IssueFailed):
        return "issue_failed", render_template("fragments/issue_failed.html", outcome=outcome)
    if isinstance(outcome, UnknownCard):
        return "unknown_card", render_template("fragments/unknown_card.html")
    if isinstance(outcome, ReadFailed) and outcome.reason == "removed":
        return "read_error", render_template("fragments/read_error.html")
    if isinstance(outcome, ReadFailed):
        return "card_unsupported", render_template("fragments/card_unsupported.html")
    return "error", render_template("fragments/error.html")


def blocking_html(status) -> str:
    """What replaces the idle screen while the reader is missing."""
    if status.reader in (ReaderState.NO_READER, ReaderState.SERVICE_UNAVAILABLE):
        return render_template("fragments/reader_missing.html", status=status)
    return ""


def status_payload(status) -> dict:
    notice = (render_template("fragments/printer_notice.html")
              if status.printer in PRINTER_TROUBLE else "")
    return {"html": render_template("status.html", status=status),
            "blocking": blocking_html(status), "printer_notice": notice}


def _sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@bp.get("/events")
def events():
    """The page's live stream; ``?page=`` is the token the page was served with (``?display=``
    for /display)."""
    from kiosk.web.calling import call_payload, current_board, queue_payload
    page, browser = request.args.get("page"), request.cookies.get(BROWSER_COOKIE)
    hub().pages.reconnect(page, browser)
    kiosk = hub().pages.is_kiosk_page(page, browser)
    display = hub().pages.is_display(request.args.get("display"))
    try:
        subscription = hub().subscribe(kiosk, local=request.remote_addr in LOOPBACK)
    except TooManyScreens:
        current_app.logger.warning("screen stream refused: every slot is taken")
        return Response("too many open screens\n", status=503, mimetype="text/plain",
                        headers={"Retry-After": "30"})
    idle = current_app.config["IDLE_SECONDS"]
    board = current_board()  # sent on every (re)connect: a restart loses no call

    @stream_with_context
    def stream():
        try:
            yield "retry: 1000\n\n"
            status = hub().status
            yield _sse("status", status_payload(status))
            if board is not None:
                yield _sse("queue", queue_payload(board))
            while True:
                try:
                    kind, item = subscription.get(timeout=KEEPALIVE_SECONDS)
                except queue.Empty:
                    if not hub().subscribed(subscription):
                        return
                    yield ": keep-alive\n\n"
                    continue
                if kind == "end":  # a newer page of the kiosk's browser took its place
                    return
                if kind == "tap":
                    # the newest kiosk page only: a page the kiosk browser left holds nothing
                    name, html = screen_html(item, hub().pages.is_kiosk_page(page, browser))
                    yield _sse("screen", {"screen": name, "html": html, "timeout": idle})
                elif kind == "queue":
                    yield _sse("queue", queue_payload(item))
                elif kind == "call":
                    speaks = display or hub().pages.is_kiosk_page(page, browser)
                    yield _sse("call", call_payload(item, speaks))
                elif kind == "notice" and item in NOTICES:
                    html = render_template(f"fragments/{item}.html")
                    yield _sse("notice", {"screen": item, "html": html, "timeout": idle})
                elif kind == "status":
                    yield _sse("status", status_payload(item))
        finally:
            hub().unsubscribe(subscription)

    return Response(stream(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
