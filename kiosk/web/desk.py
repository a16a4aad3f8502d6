"""The technician's desk on the LAN: login by card and PIN, logout, and what a desk page hears.

Mounted only in the desk app (``create_app(..., desk=True)``, served over HTTPS by
kiosk.web.server.DeskServer). The login page shows a code and waits for her technician card
(kiosk.station.desk_logins says which page a tap goes to: never simply the newest), then asks
for the PIN here, on her PC, without her name until the PIN is right. Every login, logout and
refusal with a real card tap is a signed desk.* event that names the desk (client address,
user agent); posts without a card tap are only counted (kiosk.station.desk_refusals).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, make_response, redirect, render_template, request, url_for

from kiosk.i18n import bilingual
from kiosk.station.desk_logins import DEVICE_COOKIE, DEVICE_DAYS, device_cookie, device_owner
from kiosk.web.guard import DESK_COOKIE, current_session, desk_sessions, services
from kiosk.web.staff_technicians import lockout_message

bp = Blueprint("desk", __name__, url_prefix="/staff/desk")
LONG_POLL_SECONDS = 20.0


def where() -> dict[str, str]:
    """The desk as its events name it."""
    return {"address": request.remote_addr or "", "user_agent": request.user_agent.string[:200]}


def staff():
    return services().core.staff


def _page(status: int = 200, **values):
    return render_template("staff/desk_login.html", **{"wait": "", "code": "", "ticket": "",
                                                       "csrf": "", "error": "",
                                                       "attempts_left": 0, **values,
                                                       "fingerprint": services().desk_fingerprint}
                           ), status


@bp.get("/login")
def login():
    if current_session():
        return redirect(url_for("staff.dashboard"))
    sessions = desk_sessions()
    device = device_owner(sessions.device_secret, request.cookies.get(DEVICE_COOKIE))
    wait = sessions.logins.open(request.remote_addr or "", request.user_agent.string, device)
    if wait is None:
        return _page(503, error="Too many login pages are waiting on this network. Try again in a "
                                "few minutes, or log in at the kiosk screen")
    return _page(wait=wait.id, code=wait.code)


@bp.get("/login/<wait_id>")
def login_wait(wait_id: str):
    """The waiting page's state: waiting, chosen (with its PIN form's ticket, never her
    name), or gone (expired, gave way, or its ticket took its last wrong PIN)."""
    timeout = LONG_POLL_SECONDS if request.args.get("wait") else 0.0
    wait = desk_sessions().logins.state(wait_id, timeout)
    if wait is None or wait.state == "spent":
        return jsonify(state="gone")
    if wait.state == "chosen":
        return jsonify(state="chosen", ticket=wait.ticket, csrf=wait.csrf)
    return jsonify(state=wait.state)


@bp.post("/login")
def login_pin():
    sessions = desk_sessions()
    ticket, csrf = request.form.get("ticket", ""), request.form.get("csrf", "")
    found = sessions.ticket(ticket, csrf)
    if found is None:  # no card was tapped for this form: counted, never an event of its own
        if not sessions.refusals.refused(request.remote_addr or "", request.user_agent.string):
            return Response("too many login attempts\n", status=429, mimetype="text/plain",
                            headers={"Retry-After": "60"})
        return _page(400, error="Tap your technician card again")
    technician_id, _name = found
    wait = sessions.logins.of_ticket(ticket)
    if sessions.full():
        sessions.drop_ticket(ticket)
        staff().desk_refused("sessions_full", where(), technician_id)
        return _page(403, error="Every desk session is in use: log out at another desk first")
    result = staff().check_pin(technician_id, request.form.get("pin", ""), desk=where())
    if result.blocked or result.locked_until:
        sessions.drop_ticket(ticket)
        return _page(403, error=lockout_message(result, services().core.clock.now()))
    if not result.ok:
        if sessions.wrong_pin(ticket):
            return _page(403, ticket=ticket, csrf=csrf, error="Wrong PIN",
                         attempts_left=result.attempts_left)
        return _page(403, error="Wrong PIN. Tap your technician card again")
    sessions.drop_ticket(ticket)
    session = sessions.open_session(technician_id, _name, request.remote_addr or "",
                                    request.user_agent.string, wait.reader if wait else "")
    if session is None:  # another desk took the last session meanwhile
        staff().logout(technician_id, "sessions_full", where())
        return _page(403, error="Every desk session is in use: log out at another desk first")
    response = make_response(redirect(url_for("staff.dashboard")))
    response.set_cookie(DESK_COOKIE, session.token, secure=True, httponly=True, samesite="Strict",
                        path="/")
    # her card's next tap on the desk reader comes to this browser's login page
    response.set_cookie(DEVICE_COOKIE, device_cookie(sessions.device_secret, technician_id),
                        max_age=DEVICE_DAYS * 86400, secure=True, httponly=True,
                        samesite="Strict", path="/staff/desk")
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
                                      user_agent=request.user_agent.string,
                                      address=request.remote_addr or "")
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
