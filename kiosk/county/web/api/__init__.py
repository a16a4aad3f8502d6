"""The station API: JSON endpoints authenticated by station signatures, never by a login.

POST /api/v1/stations/<station_id>/events   push a batch (docs/sync-protocol.md)
GET  /api/v1/roster                          the roster feed
GET  /api/v1/stations/<station_id>/restore   the chain for a successor key
POST /api/v1/visitors/lookup                 a visitor's record (issue 24)
Every error is JSON with a reason; malformed input is 400, never 500."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify

from kiosk.county.services import CountyServices


def services() -> CountyServices:
    return current_app.extensions["county"]


def error(status: int, reason: str, **extra: Any) -> tuple[Any, int]:
    return jsonify(error=reason, **extra), status
