"""The admin's pages: the stations' health (enrol, revoke and replace are kiosk-county
commands) and the county's users: disable one, or end anyone's sessions."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from kiosk.chart import chart_svg
from kiosk.county.domain.errors import UnknownUser
from kiosk.county.domain.stations import CLOCK_LIMIT_S
from kiosk.county.web.pages import services

bp = Blueprint("admin", __name__)


@bp.get("/stations")
def stations():
    county = services()
    return render_template("county_stations.html", rows=county.stations.health(),
                           chart=chart_svg(county.stations.received_per_day()), limit=CLOCK_LIMIT_S)


@bp.get("/stations/<station_id>")
def station(station_id: str):
    county = services()
    row = next((r for r in county.stations.health() if r.station.id == station_id), None)
    if row is None:
        abort(404)
    return render_template("county_station.html", row=row, forks=county.store.forks(station_id))


@bp.get("/users")
def users():
    return render_template("county_users.html", users=services().users.list())


@bp.post("/users/<name>/disable")
def disable(name: str):
    try:
        services().users.disable(current_user.user, name)
    except UnknownUser:
        abort(404)
    return redirect(url_for("admin.users"))


@bp.post("/users/<name>/end-sessions")
def end_sessions(name: str):
    try:
        services().users.end_sessions(current_user.user, name, request.remote_addr or "")
    except UnknownUser:
        abort(404)
    return redirect(url_for("admin.users"))
