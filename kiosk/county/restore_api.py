"""GET /api/v1/stations/<station_id>/restore: a station's stored chain, for its successor.

Only the key a pending succession enrolled (``kiosk-county replace``) may ask, with a fresh
request it signs (kiosk.protocol.succession.restore_message); anyone else gets 403. Each
page carries the events after ``after`` exactly as stored, the county's signed head of the
chain (an acknowledgement, kiosk.protocol.sync) and the signed succession.
"""

from __future__ import annotations

import logging

from cryptography.exceptions import InvalidSignature
from flask import Flask, jsonify, request

from kiosk.county import successions
from kiosk.domain.events import GENESIS_HASH
from kiosk.keys import StationKey, public_key_from_hex
from kiosk.protocol.roster import fresh
from kiosk.protocol.succession import restore_message
from kiosk.protocol.sync import STATION_ID, ack_body, sign_ack

log = logging.getLogger("kiosk.county")
MAX_PAGE = 5000


def register_restore(app: Flask, store, county_key: StationKey, clock) -> None:
    def error(status: int, reason: str, detail: str = ""):
        return jsonify(error=reason, detail=detail), status

    @app.get("/api/v1/stations/<station_id>/restore")
    def restore(station_id: str):
        after, limit = request.args.get("after", "0"), request.args.get("limit", "2000")
        if not after.isdigit() or not limit.isdigit():
            return error(400, "malformed", "after and limit must be numbers")
        station = store.station(station_id) if STATION_ID.match(station_id) else None
        if station is None:
            return error(403, "unknown_station")
        succession = successions.pending(store._conn(), station_id, station.public_key)
        if succession is None:
            log.warning("station %s: restore refused, no pending succession", station_id)
            return error(403, "no_succession", "kiosk-county replace --station ID --pubkey KEY "
                                               "enrols the new key first")
        station_time = request.headers.get("X-Station-Time", "")
        if not fresh(station_time, clock()):
            return error(403, "stale_request", "X-Station-Time is off by more than 5 min")
        try:
            public_key_from_hex(station.public_key).verify(
                bytes.fromhex(request.headers.get("X-Station-Signature", "")),
                restore_message(station_id, int(after), station_time))
        except (ValueError, InvalidSignature):
            return error(403, "bad_signature")
        now = clock().isoformat(timespec="microseconds").replace("+00:00", "Z")
        head_seq = store.head_of(station_id)  # read first: events stored meanwhile stay out
        last = store.events(station_id, head_seq - 1, 1) if head_seq else []
        head_hash = last[0].hash if last else GENESIS_HASH
        events = [e for e in store.events(station_id, int(after), min(int(limit), MAX_PAGE))
                  if e.seq <= head_seq]
        return jsonify({"events": [vars(e) for e in events],
                        "head": sign_ack(ack_body(station_id, head_seq, head_hash, now), county_key),
                        "succession": succession})
