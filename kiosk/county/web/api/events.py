"""POST /api/v1/stations/<station_id>/events: a station pushes a batch of its signed events."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, jsonify, request

from kiosk.county.domain.clock import stamp
from kiosk.county.domain.intake import ForkAt, GapAt, Refused, Stored
from kiosk.county.services.intake import SignedPush
from kiosk.county.web.api import error, services
from kiosk.county.web.station_auth import StationRequest, verify
from kiosk.protocol.sync import (
    MAX_BYTES,
    STATION_ID,
    Malformed,
    ack_body,
    check_shape,
    parse_batch,
    push_message,
    sign_ack,
)

bp = Blueprint("station_events", __name__)
log = logging.getLogger("kiosk.county")


@bp.post("/api/v1/stations/<station_id>/events")
def push(station_id: str):
    county = services()
    station = county.store.station(station_id) if STATION_ID.match(station_id) else None
    if station is None:
        return error(403, "unknown_station")
    if not station.enrolled:
        return error(403, "station_revoked")
    body = request.get_data()
    if len(body) > MAX_BYTES:
        return error(413, "batch_too_large", max_bytes=MAX_BYTES)
    try:
        check_shape(body)
        events = parse_batch(json.loads(body or b"null"))
    except (ValueError, UnicodeDecodeError) as exc:
        reason = str(exc) if isinstance(exc, Malformed) else "body is not JSON"
        log.warning("station %s: malformed batch: %s", station_id, reason)
        return error(400, "malformed", detail=reason)
    reported = request.headers.get("X-Station-Head", "")
    signed = verify(station.public_key, lambda time: push_message(station.id, time, reported, body),
                    request.headers, county.clock.now(), require_fresh=False)
    outcome = county.intake.receive(station, events, SignedPush(
        signed.station_time, reported, signed.fresh) if isinstance(signed, StationRequest) else None)
    if isinstance(outcome, Refused):
        return error(400, "refused", detail=outcome.reason)
    if isinstance(outcome, GapAt):
        return error(409, "gap", expected_seq=outcome.expected_seq)
    if isinstance(outcome, ForkAt):
        return error(409, "fork", seq=outcome.seq)
    assert isinstance(outcome, Stored)
    body_ = ack_body(station_id, outcome.head.seq, outcome.head.hash, stamp(county.clock.now()))
    return jsonify(sign_ack(body_, county.key))
