"""Technician sessions and CSRF for the staff pages.

The session cookie is HttpOnly and SameSite=Strict; every POST must also carry
the session's CSRF token. A card tap by anyone else or 120 s without a touch
ends the session (kiosk.station.loop and kiosk.station.staff_desk), so the next request
lands on the login page.
"""

from __future__ import annotations

import functools
import secrets

from flask import abort, current_app, g, redirect, request, url_for

from kiosk.station.staff_desk import Session, StaffDesk

COOKIE = "kiosk_staff"


def services():
    return current_app.extensions["kiosk_services"]


def desk() -> StaffDesk:
    return services().desk


def current_session() -> Session | None:
    if "staff_session" not in g:
        g.staff_session = desk().session(request.cookies.get(COOKIE))
    return g.staff_session


def staff_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        session = current_session()
        if session is None:
            return redirect(url_for("staff.login"))
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
