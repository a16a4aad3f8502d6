"""What every signed-in user reaches: the home page (each role's own), /metrics (also with
``county.metrics_token``) and the OpenAPI description of the station API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, redirect, url_for
from flask_login import current_user

from kiosk.county.web.pages import services

bp = Blueprint("account", __name__)
OPENAPI = Path(__file__).resolve().parent.parent / "openapi.json"
HOME = {"admin": "admin.stations", "officer": "reports.overview", "auditor": "auditor.audit"}
GAUGES = ("kiosk_county_station_forks", "kiosk_county_station_backlog_estimate",
          "kiosk_county_station_clock_offset_seconds", "kiosk_county_station_seconds_since_sync",
          "kiosk_county_station_revoked")


@bp.get("/")
def home():
    return redirect(url_for(HOME[current_user.role]))


@bp.get("/metrics")
def metrics():
    county = services()
    now = county.clock.now()
    lines = ["# HELP kiosk_county_events_stored Events stored per station.",
             "# TYPE kiosk_county_events_stored gauge"]
    samples: dict[str, list[str]] = {name: [] for name in GAUGES}
    for row in county.stations.health():
        s, label = row.station, f'{{station="{row.station.id}"}}'
        lines.append(f"kiosk_county_events_stored{label} {row.stored}")
        samples["kiosk_county_station_forks"].append(f"{label} {row.forks}")
        samples["kiosk_county_station_revoked"].append(f"{label} {int(not s.enrolled)}")
        if row.backlog is not None:
            samples["kiosk_county_station_backlog_estimate"].append(f"{label} {row.backlog}")
        if s.clock_offset_s is not None:
            samples["kiosk_county_station_clock_offset_seconds"].append(f"{label} {s.clock_offset_s}")
        if (age := row.seconds_since_sync(now)) is not None:
            samples["kiosk_county_station_seconds_since_sync"].append(f"{label} {age:.0f}")
    for name, values in samples.items():
        lines.append(f"# TYPE {name} gauge")
        lines.extend(name + sample for sample in values)
    return Response("\n".join(lines) + "\n", mimetype="text/plain; version=0.0.4")


@bp.get("/api/v1/openapi.json")
def openapi():
    return Response(OPENAPI.read_text(encoding="utf-8"), mimetype="application/json")


def openapi_document() -> dict[str, Any]:
    return json.loads(OPENAPI.read_text(encoding="utf-8"))
