"""Pages for the county IT officer, Prometheus metrics and the OpenAPI description.

Bind the receiver to loopback and put TLS and the county's login in front of it
(nginx); these pages show station health, not residents' data.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request

from kiosk.chart import chart_svg
from kiosk.i18n import bilingual

bp = Blueprint("county_pages", __name__, template_folder="templates")
CLOCK_LIMIT_S = 300
OPENAPI = Path(__file__).parent / "openapi.json"


def store():
    return current_app.extensions["county_store"]


def station_rows() -> list[dict]:
    rows = []
    for s in store().stations():
        stored = store().head_of(s.id)
        rows.append({
            "station": s, "stored": stored, "forks": store().fork_count(s.id),
            "backlog": (s.reported_head - stored) if s.reported_head is not None else None,
            "clock_flag": s.clock_offset_s is not None and abs(s.clock_offset_s) > CLOCK_LIMIT_S,
        })
    return rows


@bp.app_template_global("t")
def translate(message: str) -> str:
    return bilingual(message)


@bp.get("/")
def stations():
    return render_template("county_stations.html", rows=station_rows(),
                           chart=chart_svg(store().per_day()), limit=CLOCK_LIMIT_S)


@bp.get("/stations/<station_id>")
def station(station_id: str):
    if store().station(station_id) is None:
        abort(404)
    asked = request.args.get("after", "0")
    after = int(asked) if asked.isdigit() else 0
    events = store().events(station_id, after=after, limit=100)
    return render_template("county_station.html", station_id=station_id, events=events,
                           forks=store().forks(station_id), after=after)


@bp.get("/metrics")
def metrics():
    lines = ["# HELP kiosk_county_events_stored Events stored per station.",
             "# TYPE kiosk_county_events_stored gauge"]
    now = dt.datetime.now(dt.UTC)
    extra = {"kiosk_county_station_forks": [], "kiosk_county_station_backlog_estimate": [],
             "kiosk_county_station_clock_offset_seconds": [],
             "kiosk_county_station_seconds_since_sync": [], "kiosk_county_station_revoked": []}
    for row in station_rows():
        s, label = row["station"], f'{{station="{row["station"].id}"}}'
        lines.append(f"kiosk_county_events_stored{label} {row['stored']}")
        extra["kiosk_county_station_forks"].append(f"{label} {row['forks']}")
        extra["kiosk_county_station_revoked"].append(f"{label} {int(s.status != 'enrolled')}")
        if row["backlog"] is not None:
            extra["kiosk_county_station_backlog_estimate"].append(f"{label} {row['backlog']}")
        if s.clock_offset_s is not None:
            extra["kiosk_county_station_clock_offset_seconds"].append(f"{label} {s.clock_offset_s}")
        if s.last_sync:
            age = (now - dt.datetime.fromisoformat(s.last_sync.replace("Z", "+00:00")))
            extra["kiosk_county_station_seconds_since_sync"].append(
                f"{label} {age.total_seconds():.0f}")
    for name, samples in extra.items():
        lines.append(f"# TYPE {name} gauge")
        lines.extend(name + sample for sample in samples)
    return Response("\n".join(lines) + "\n", mimetype="text/plain; version=0.0.4")


@bp.get("/api/v1/openapi.json")
def openapi():
    return Response(OPENAPI.read_text(encoding="utf-8"), mimetype="application/json")


def openapi_document() -> dict:
    return json.loads(OPENAPI.read_text(encoding="utf-8"))
