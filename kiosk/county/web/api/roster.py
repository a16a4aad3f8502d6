"""GET /api/v1/roster: the roster feed, for an enrolled station that signs a fresh request.

``?after=<cursor>&v=2``: per-station positions (kiosk.protocol.roster.encode_positions), what
every station since this version asks. Without ``v=2``, ``after`` is a version-1 global row
number, served as before for stations not yet upgraded (docs/sync-protocol.md).

The request is signed over every parameter (kiosk.protocol.station_requests, version 2). The
signature of older releases covers ``after`` alone, so it is taken only on a request that
carries nothing else: a version-1 pull (issue 23, N14)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from kiosk.county.web.api import error, services
from kiosk.county.web.params import BadParameter, choice, number, text
from kiosk.county.web.station_auth import RequestRefused, signs_query, verify_request
from kiosk.protocol import roster as feed
from kiosk.protocol.station_requests import whole_number
from kiosk.protocol.sync import STATION_ID

bp = Blueprint("station_roster", __name__)


@bp.get("/api/v1/roster")
@signs_query
def roster():
    county = services()
    station_id = request.headers.get("X-Station-Id", "")
    positions = choice("v", "1", ("1", feed.POSITIONS_VERSION)) == feed.POSITIONS_VERSION
    if positions:
        after = text("after", "")
        try:
            if whole_number(after) is None:  # digits alone: a version-1 cursor to convert
                feed.parse_positions(after)
        except ValueError:
            raise BadParameter("after", "must be a roster cursor") from None
    else:
        after = str(number("after", 0))
    station = county.store.station(station_id) if STATION_ID.match(station_id) else None
    if station is None or not station.enrolled:
        return error(403, "unknown_station" if station is None else "station_revoked")
    covered = set(request.args) <= {"after"}  # what an older release's signature covers
    asked = after if positions else int(after)
    signed = verify_request(station.public_key, station_id, request, county.clock.now(),
                            legacy=(lambda time: feed.request_message(station_id, asked, time))
                            if covered else None)
    if isinstance(signed, RequestRefused):
        return error(403, signed.reason, detail=signed.detail)
    if positions:
        return jsonify(county.roster.page(station_id, after))
    return jsonify(county.roster.legacy_page(station_id, int(after)))  # stations not yet upgraded
