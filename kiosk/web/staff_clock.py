"""Setting the date and time on the touchscreen (issue 21): a technician's page, behind the
same login as the other staff pages, for a station whose clock nothing vouches for.

The page steps the date and time with buttons (no typing: the kiosk has no keyboard),
starting from the station's own guess, and posts the five numbers; the ClockService
(kiosk.domain.clock_setting) checks the setting, sets the clock and records it signed.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from kiosk.domain.clock_setting import ClockRefused
from kiosk.domain.trusted_time import NOT_SET
from kiosk.domain.validation import N_
from kiosk.store.queries import unconfirmed_checkins
from kiosk.web.guard import current_session, db, services, staff_required

bp = Blueprint("staff_clock", __name__, url_prefix="/staff")
PARTS = ("year", "month", "day", "hour", "minute")
SOURCE_NAMES = {"ntp": N_("network time (NTP)"), "county": N_("the county's signed time"),
                "rtc": N_("the battery clock"), "technician": N_("a technician's setting"),
                "system": N_("this machine's own clock"), NOT_SET: N_("nothing: not set")}
METHOD_NOTES = {"system": N_("The system clock is set."),
                "offset": N_("The system clock could not be set: the station keeps the "
                             "difference itself and dates everything right.")}


@bp.app_context_processor
def clock_state():
    """``clock_not_set()`` for the staff pages' navigation (a link here while it is so)."""
    def clock_not_set() -> bool:
        found = current_app.extensions.get("kiosk_services")
        return found is not None and found.core.clock.source() == NOT_SET
    return {"clock_not_set": clock_not_set}


def _zone() -> ZoneInfo:
    return ZoneInfo(services().core.config.station.timezone)


def _page(error: str | None = None, done: str | None = None, status: int = 200):
    clock = services().core.clock
    reading = clock.reading()
    local = reading.now.astimezone(_zone())
    return render_template("staff/clock.html", reading=reading, local=local,
                           source_name=SOURCE_NAMES.get(reading.source, reading.source),
                           values=dict(zip(PARTS, (local.year, local.month, local.day,
                                                   local.hour, local.minute), strict=True)),
                           error=error, done=done,
                           unconfirmed=unconfirmed_checkins(db())), status


@bp.get("/clock")
@staff_required
def clock_page():
    done = request.args.get("done")
    return _page(done=METHOD_NOTES.get(done or ""))


@bp.post("/clock")
@staff_required
def set_clock():
    session = current_session()
    assert session is not None  # staff_required let the request in
    try:
        numbers = [int(request.form.get(part, "")) for part in PARTS]
        wall = dt.datetime(*numbers, tzinfo=_zone())  # type: ignore[misc]
    except ValueError:
        return _page(error=N_("That date does not exist: check the day and month"), status=400)
    try:
        result = services().core.clocks.set(wall.astimezone(dt.UTC), by=session.technician_id)
    except ClockRefused as refused:
        return _page(error=refused.message, status=400)
    return redirect(url_for("staff_clock.clock_page", done=result.method))
