"""The technician's desk on the LAN: login by card and PIN, logout, and what a desk page hears.

Mounted only in the desk app (``create_app(..., desk=True)``, served over HTTPS by
kiosk.web.server.DeskServer). The login page waits for her technician card on the desk reader
(long-polling its own wait), then asks for the PIN here, on her PC. Every login, logout and
refused attempt is a signed desk.* event that names the desk (client address, user agent).
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, make_response, redirect, render_template, request, url_for

from kiosk.i18n import bilingual
from kiosk.web.guard import DESK_COOKIE, current_session, desk_sessions, services
from kiosk.web.staff_technicians import lockout_message

bp = Blueprint("desk", __name__, url_prefix="/staff/desk")
LONG_POLL_SECONDS = 20.0


def where() -> dict[str, str]:
    """The desk as its events name it."""
    return {"address": request.remote_addr or "", "user_agent": request.user_agent.string[:200]}


def staff():
    return services().core.staff


@bp.get("/login")
def login():
    if current_session():
        return redirect(url_for("staff.dashboard"))
    wait = desk_sessions().wait_login(request.remote_addr or "", request.user_agent.string)
    return render_template("staff/desk_login.html", wait=wait.id,
                           fingerprint=services().desk_fingerprint)


@bp.get("/login/<wait_id>")
def login_wait(wait_id: str):
    """The waiting page's state: waiting, chosen (with its PIN form's ticket), not chosen."""
    timeout = LONG_POLL_SECONDS if request.args.get("wait") else 0.0
    wait = desk_sessions().login_state(wait_id, timeout)
    if wait is None:
        return jsonify(state="gone")
    if wait.state == "chosen":
        return jsonify(state="chosen", ticket=wait.ticket, csrf=wait.csrf, name=wait.name)
    return jsonify(state=wait.state)


def _pin_page(ticket: str, csrf: str, name: str, error: str = "", attempts_left: int = 0):
    return render_template("staff/desk_login.html", wait="", ticket=ticket, csrf=csrf,
                           name=name, error=error, attempts_left=attempts_left,
                           fingerprint=services().desk_fingerprint)


@bp.post("/login")
def login_pin():
    ticket, csrf = request.form.get("ticket", ""), request.form.get("csrf", "")
    found = desk_sessions().ticket(ticket, csrf)
    if found is None:
        staff().desk_refused("no_ticket", where())
        return render_template("staff/desk_login.html", wait="", error="Tap your technician card again",
                               fingerprint=services().desk_fingerprint), 400
    technician_id, name = found
    if desk_sessions().full():
        desk_sessions().drop_ticket(ticket)
        staff().desk_refused("sessions_full", where(), technician_id)
        return render_template("staff/desk_login.html", wait="", fingerprint=services().desk_fingerprint,
                               error="Every desk session is in use: log out at another desk first"), 403
    result = staff().check_pin(technician_id, request.form.get("pin", ""), desk=where())
    if result.blocked or result.locked_until:
        desk_sessions().drop_ticket(ticket)
        return render_template("staff/desk_login.html", wait="", fingerprint=services().desk_fingerprint,
                               error=lockout_message(result, services().core.clock.now())), 403
    if not result.ok:
        return _pin_page(ticket, csrf, name, "Wrong PIN", result.attempts_left), 403
    desk_sessions().drop_ticket(ticket)
    session = desk_sessions().open_session(technician_id, name, request.remote_addr or "",
                                           request.user_agent.string)
    if session is None:  # another desk took the last session meanwhile
        staff().logout(technician_id, "sessions_full", where())
        return render_template("staff/desk_login.html", wait="", fingerprint=services().desk_fingerprint,
                               error="Every desk session is in use: log out at another desk first"), 403
    response = make_response(redirect(url_for("staff.dashboard")))
    response.set_cookie(DESK_COOKIE, session.token, secure=True, httponly=True, samesite="Strict",
                        path="/")
    return response


def desk_logout():
    """The logout button at a desk (behind staff_required, so the CSRF token was checked)."""
    session = current_session()
    if session is not None and desk_sessions().end(session.token) is not None:
        staff().logout(session.technician_id, "button", where())
    response = make_response(redirect(url_for("desk.login")))
    response.delete_cookie(DESK_COOKIE, secure=True, httponly=True, samesite="Strict")
    return response


@bp.get("/next")
def next_messages():
    """What the desk reader told this session's pages after ``after`` (a long poll; it does
    not count as activity, so an unattended page still idles out)."""
    session = desk_sessions().session(request.cookies.get(DESK_COOKIE), touch=False,
                                      user_agent=request.user_agent.string)
    if session is None:
        return jsonify(ended=True, messages=[])
    asked = request.args.get("after", "0")
    if not asked.isdigit():
        abort(400)
    found = desk_sessions().messages(session, int(asked), LONG_POLL_SECONDS)
    out = []
    for seq, message in found:
        shown = dict(message, seq=seq)
        if "message" in message:
            shown["message"] = bilingual(message["message"])
        out.append(shown)
    return jsonify(ended=False, messages=out)
