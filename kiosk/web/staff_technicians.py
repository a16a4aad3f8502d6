"""Technicians looking after each other: the lockout message at login, and unblocking a
colleague blocked after too many wrong PINs (kiosk/domain/staff.py has the rules)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, redirect, url_for

from kiosk.domain.staff import PinResult, SelfUnblock
from kiosk.i18n import bilingual
from kiosk.web.guard import current_session, services, staff_required

bp = Blueprint("technicians", __name__, url_prefix="/staff")


def lockout_message(result: PinResult, now: dt.datetime) -> str:
    """What the login page says to a blocked or locked-out technician, in both languages."""
    if result.blocked:
        return bilingual("Too many wrong PINs: this technician is blocked. Ask another "
                         "technician (dashboard) or the console (kiosk technician unblock) "
                         "to unblock it")
    left = dt.datetime.fromisoformat(result.locked_until or now.isoformat()) - now
    minutes = max(1, -(-int(left.total_seconds()) // 60))
    return bilingual("Too many wrong PINs. Try again in {minutes} minutes", minutes=minutes)


@bp.post("/technicians/<technician_id>/unblock")
@staff_required
def unblock(technician_id: str):
    """Another technician lifts a block after too many wrong PINs (signed, audited)."""
    session = current_session()
    assert session is not None  # staff_required let the request in
    try:
        services().core.staff.unblock(technician_id, by=session.technician_id)
    except SelfUnblock:
        abort(403)
    return redirect(url_for("staff.dashboard"))
