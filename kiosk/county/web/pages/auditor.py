"""The auditor's pages: the county's own audit trail and the station event browser (types,
times and hashes, never payloads). Each browse is itself an entry in the audit trail."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from kiosk.county.web.pages import services
from kiosk.county.web.params import number

bp = Blueprint("auditor", __name__)
PAGE = 100


@bp.get("/audit")
def audit():
    before = number("before", 0, minimum=1) if "before" in request.args else None
    entries = services().audit.entries(PAGE, before)
    return render_template("county_audit.html", entries=entries, page=PAGE)


@bp.get("/events")
def events():
    return render_template("county_events.html", rows=services().stations.health())


@bp.get("/events/<station_id>")
def station_events(station_id: str):
    county = services()
    if county.store.station(station_id) is None:
        abort(404)
    after = number("after", 0)
    county.audit.record(current_user.user, "events.viewed", station_id, request.remote_addr or "",
                        f"after {after}")
    return render_template("county_station_events.html", station_id=station_id, after=after,
                           events=county.store.events(station_id, after=after, limit=PAGE),
                           forks=county.store.forks(station_id), page=PAGE)
