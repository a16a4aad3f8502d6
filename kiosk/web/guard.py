"""Technician sessions and CSRF for the staff pages.

The session cookie is HttpOnly and SameSite=Strict; every POST must also carry
the session's CSRF token. A card tap by anyone else or 120 s without a touch
ends the session (kiosk.station.loop and kiosk.station.staff_desk), so the next request
lands on the login page.

The same pages served to the LAN (the desk app, ``DESK`` in its config) use the desk's
sessions instead (kiosk.station.desk_sessions): their cookie is also Secure, and a session
answers only to the browser (user agent) and the address that opened it.
"""

from __future__ import annotations

import functools
import secrets

from flask import abort, current_app, g, redirect, request, url_for

from kiosk.station.desk_sessions import DeskSessions
from kiosk.station.staff_desk import Session, StaffDesk

COOKIE = "kiosk_staff"
DESK_COOKIE = "kiosk_desk"


def services():
    return current_app.extensions["kiosk_services"]


def at_desk() -> bool:
    """True in the desk app (the technician pages on the LAN, over HTTPS)."""
    return bool(current_app.config.get("DESK"))


def desk() -> StaffDesk | DeskSessions:
    return services().desk_sessions if at_desk() else services().desk


def desk_sessions() -> DeskSessions:
    return services().desk_sessions


def current_session() -> Session | None:
    if "staff_session" not in g:
        if at_desk():
            g.staff_session = desk_sessions().session(request.cookies.get(DESK_COOKIE),
                                                      user_agent=request.user_agent.string,
                                                      address=request.remote_addr or "")
        else:
            g.staff_session = services().desk.session(request.cookies.get(COOKIE))
    return g.staff_session


def login_page() -> str:
    return url_for("desk.login") if at_desk() else url_for("staff.login")


def staff_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        session = current_session()
        if session is None:
            return redirect(login_page())
        if request.method == "POST" and not secrets.compare_digest(
                request.form.get("csrf", ""), session.csrf):
            current_app.logger.warning("staff POST without a valid CSRF token: %s", request.path)
            abort(400, description="csrf")
        return view(*args, **kwargs)
    return wrapped


def db():
    """This request's own read connection."""
    if "read_db" not in g:
        from kiosk.store.database import connect_readonly
        g.read_db = connect_readonly(services().core.config.station.database)
    return g.read_db


def close_db(_exc=None) -> None:
    read_db = g.pop("read_db", None)
    if read_db is not None:
        read_db.conn.close()
