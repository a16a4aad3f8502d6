"""The IT officer's pages: the stations' health and one station's forks and key status."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from kiosk.chart import chart_svg
from kiosk.county.domain.stations import CLOCK_LIMIT_S
from kiosk.county.web.pages import services

bp = Blueprint("county_pages", __name__)


@bp.get("/")
def stations():
    county = services()
    return render_template("county_stations.html", rows=county.stations.health(),
                           chart=chart_svg(county.stations.received_per_day()), limit=CLOCK_LIMIT_S)


@bp.get("/stations/<station_id>")
def station(station_id: str):
    store = services().store
    if store.station(station_id) is None:
        abort(404)
    asked = request.args.get("after", "0")
    after = int(asked) if asked.isdigit() else 0
    return render_template("county_station.html", station_id=station_id,
                           events=store.events(station_id, after=after, limit=100),
                           forks=store.forks(station_id), after=after)
