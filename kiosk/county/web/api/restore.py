"""GET /api/v1/stations/<station_id>/restore?after=N&limit=M: a station's stored chain, for its
successor.

Only the key a pending succession enrolled (``kiosk-county replace``) may ask, with a fresh
request it signs over every parameter (kiosk.protocol.station_requests, version 2); anyone
else gets 403. ``after`` (0 to 2^63 - 1) and ``limit`` (1 to 5,000) are whole numbers, or 400."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request

from kiosk.county.services.restore import MAX_PAGE
from kiosk.county.web.api import error, services
from kiosk.county.web.params import number
from kiosk.county.web.station_auth import RequestRefused, signs_query, verify_request
from kiosk.protocol.sync import STATION_ID

bp = Blueprint("station_restore", __name__)
log = logging.getLogger("kiosk.county")


@bp.get("/api/v1/stations/<station_id>/restore")
@signs_query
def restore(station_id: str):
    county = services()
    after, limit = number("after", 0), number("limit", 2000, maximum=MAX_PAGE, minimum=1)
    station = county.store.station(station_id) if STATION_ID.match(station_id) else None
    if station is None:
        return error(403, "unknown_station", detail="")
    succession = county.stations.pending_succession(station_id)
    if succession is None:
        log.warning("station %s: restore refused, no pending succession", station_id)
        return error(403, "no_succession", detail="kiosk-county replace --station ID --pubkey KEY "
                                                  "enrols the new key first")
    signed = verify_request(station.public_key, station_id, request, county.clock.now())
    if isinstance(signed, RequestRefused):
        return error(403, signed.reason, detail=signed.detail)
    return jsonify(county.restore.page(station_id, after, limit, succession))
