"""GET /api/v1/roster: the roster feed, for an enrolled station that signs a fresh request.

``?after=<cursor>&v=2``: per-station positions (kiosk.protocol.roster.encode_positions), what
every station since this version asks. Without ``v=2``, ``after`` is a version-1 global row
number, served as before for stations not yet upgraded (docs/sync-protocol.md)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from kiosk.county.web.api import error, services
from kiosk.county.web.station_auth import RequestRefused, verify
from kiosk.protocol import roster as feed
from kiosk.protocol.sync import STATION_ID

bp = Blueprint("station_roster", __name__)


@bp.get("/api/v1/roster")
def roster():
    county = services()
    station_id = request.headers.get("X-Station-Id", "")
    version = request.args.get("v", "1")
    after = request.args.get("after", "" if version == feed.POSITIONS_VERSION else "0")
    if version == feed.POSITIONS_VERSION:
        try:
            feed.parse_positions(after) if not after.isdigit() else None
        except ValueError:
            return error(400, "malformed", detail="after must be a roster cursor")
    elif not after.isdigit():
        return error(400, "malformed", detail="after must be a cursor number")
    station = county.store.station(station_id) if STATION_ID.match(station_id) else None
    if station is None or not station.enrolled:
        return error(403, "unknown_station" if station is None else "station_revoked")
    asked = after if version == feed.POSITIONS_VERSION else int(after)
    signed = verify(station.public_key, lambda time: feed.request_message(station_id, asked, time),
                    request.headers, county.clock.now())
    if isinstance(signed, RequestRefused):
        return error(403, signed.reason, detail=signed.detail)
    if version == feed.POSITIONS_VERSION:
        return jsonify(county.roster.page(station_id, after))
    return jsonify(county.roster.legacy_page(station_id, int(after)))  # stations not yet upgraded
