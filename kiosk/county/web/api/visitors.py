"""POST /api/v1/visitors/lookup: a station asks for the record of a visitor whose card was
tapped there (docs/sync-protocol.md, "Visitors"). Signed by the station over its time and the
body's hash, fresh within 5 minutes; the answer is signed by the county. Separate from the
card-authentication relay (a card of another township proving itself): this names a card the
station already read and checked, and returns her record."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from kiosk.county.domain.visitors import LookupRefused
from kiosk.county.web.api import error, services
from kiosk.county.web.station_auth import RequestRefused, verify
from kiosk.protocol.sync import STATION_ID
from kiosk.protocol.visitors import MAX_BODY, request_message

bp = Blueprint("station_visitors", __name__)


@bp.post("/api/v1/visitors/lookup")
def lookup():
    county = services()
    station_id = request.headers.get("X-Station-Id", "")
    station = county.store.station(station_id) if STATION_ID.match(station_id) else None
    if station is None or not station.enrolled:
        return error(403, "unknown_station" if station is None else "station_revoked")
    if (request.content_length or 0) > MAX_BODY:
        return error(413, "too_large", max_bytes=MAX_BODY)
    body = request.get_data()
    if len(body) > MAX_BODY:
        return error(413, "too_large", max_bytes=MAX_BODY)
    signed = verify(station.public_key, lambda time: request_message(station_id, time, body),
                    request.headers, county.clock.now())
    if isinstance(signed, RequestRefused):
        return error(403, signed.reason, detail=signed.detail)
    answer = county.visitors.lookup(station, body)
    if isinstance(answer, LookupRefused):
        response = error(answer.status, answer.reason, detail=answer.detail)
        if answer.status == 429:
            response[0].headers["Retry-After"] = "60"
        return response
    return jsonify(answer)
