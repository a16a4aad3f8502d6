"""GET /api/v1/stations/<station_id>/restore: a station's stored chain, for its successor.

Only the key a pending succession enrolled (``kiosk-county replace``) may ask, with a fresh
request it signs (kiosk.protocol.succession.restore_message); anyone else gets 403."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request

from kiosk.county.web.api import error, services
from kiosk.county.web.station_auth import RequestRefused, verify
from kiosk.protocol.succession import restore_message
from kiosk.protocol.sync import STATION_ID

bp = Blueprint("station_restore", __name__)
log = logging.getLogger("kiosk.county")


@bp.get("/api/v1/stations/<station_id>/restore")
def restore(station_id: str):
    county = services()
    after, limit = request.args.get("after", "0"), request.args.get("limit", "2000")
    if not after.isdigit() or not limit.isdigit():
        return error(400, "malformed", detail="after and limit must be numbers")
    station = county.store.station(station_id) if STATION_ID.match(station_id) else None
    if station is None:
        return error(403, "unknown_station", detail="")
    succession = county.stations.pending_succession(station_id)
    if succession is None:
        log.warning("station %s: restore refused, no pending succession", station_id)
        return error(403, "no_succession", detail="kiosk-county replace --station ID --pubkey KEY "
                                                  "enrols the new key first")
    signed = verify(station.public_key, lambda time: restore_message(station_id, int(after), time),
                    request.headers, county.clock.now())
    if isinstance(signed, RequestRefused):
        return error(403, signed.reason, detail=signed.detail)
    return jsonify(county.restore.page(station_id, int(after), int(limit), succession))
