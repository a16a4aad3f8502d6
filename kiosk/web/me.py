"""Her own record, opened from the check-in screen with a short-lived link.

Shows upcoming services with dates, past visit dates (no staff notes), the
privacy notice and which staff opened her record in the last 90 days (one line per technician
and day, with how many times). She can
print it; sensitive service names stay off paper unless the station allows them.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, redirect, render_template, request, url_for

from kiosk.domain.model import local_date
from kiosk.store import queries
from kiosk.web.guard import db, services

bp = Blueprint("me", __name__, url_prefix="/me")


def _record(link: str):
    found = services().desk.record_for(link)
    if found is None:
        return None, None
    core = services().core
    return found[1], queries.resident_record(db(), found[0], core.clock.now())


@bp.get("/<link>")
def record(link: str):
    checkin_id, found = _record(link)
    if found is None:
        return render_template("me_expired.html"), 404
    core = services().core
    with core.uow() as uow:  # her own look at her record is logged too (not shown as staff)
        uow.record("record.viewed", {"resident_id": found.resident.id, "technician_id": None,
                                     "what": "own_record"})
        uow.commit()
    today = local_date(core.clock.now(), core.config.station.timezone)
    upcoming = [i for i in found.items if i.status(today) in ("upcoming", "due", "overdue")]
    views = queries.views_by_day(found.views, core.config.station.timezone)
    return render_template("me.html", record=found, upcoming=upcoming, today=today, link=link,
                           views=views, printed=request.args.get("printed"))


@bp.post("/<link>/print")
def print_record(link: str):
    if not secrets.compare_digest(request.form.get("link", ""), link):
        abort(400)
    checkin_id, found = _record(link)
    if found is None:
        return render_template("me_expired.html"), 404
    services().print_record(checkin_id)
    return redirect(url_for("me.record", link=link, printed="1"))


@bp.post("/<link>/close")
def close(link: str):
    """Her page closed (idle, "close" or another tap): the link stops working at once."""
    if services().desk.record_for(link) is not None:
        services().desk.forget_record_links()
    return "", 204
