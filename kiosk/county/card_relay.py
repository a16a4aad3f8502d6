"""POST /api/v1/card-auth/begin and /finish: the county relays a DESFire card's
authentication for a station that holds no key of the card's township
(kiosk.protocol.card_relay, kiosk.county.card_authority).

Only enrolled stations, with a fresh signed request; 404 when the county has no card key
(``kiosk-county card-key init``). Malformed input is 400, never a traceback.
"""

from __future__ import annotations

import json
import logging

from cryptography.exceptions import InvalidSignature
from flask import Flask, jsonify, request

from kiosk.county.card_authority import CardAuthority, RelayRefused
from kiosk.keys import public_key_from_hex
from kiosk.protocol.card_relay import BEGIN, FINISH, MAX_BODY, request_message
from kiosk.protocol.roster import fresh
from kiosk.protocol.sync import STATION_ID

log = logging.getLogger("kiosk.county")


def register_card_relay(app: Flask, store, card_key: bytes | None, clock) -> None:
    authority = CardAuthority(card_key) if card_key else None

    def refuse(status: int, reason: str):
        return jsonify(error=reason), status

    def signed_station() -> tuple[str, dict]:
        """(station id, JSON body) of a request an enrolled station signed; RelayRefused else."""
        station_id = request.headers.get("X-Station-Id", "")
        body = request.get_data()
        if len(body) > MAX_BODY:
            raise RelayRefused("too_large", 413)
        station = store.station(station_id) if STATION_ID.match(station_id) else None
        if station is None or station.status != "enrolled":
            raise RelayRefused("unknown_station", 403)
        station_time = request.headers.get("X-Station-Time", "")
        if not fresh(station_time, clock()):
            raise RelayRefused("stale_request", 403)
        try:
            public_key_from_hex(station.public_key).verify(
                bytes.fromhex(request.headers.get("X-Station-Signature", "")),
                request_message(station_id, station_time, request.path, body))
        except (ValueError, InvalidSignature):
            raise RelayRefused("bad_signature", 403) from None
        try:
            data = json.loads(body)
        except ValueError:
            raise RelayRefused("malformed") from None
        if not isinstance(data, dict):
            raise RelayRefused("malformed")
        return station_id, data

    def field(data: dict, name: str, kind: type):
        value = data.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise RelayRefused("malformed")
        return value

    def hexes(data: dict, name: str, length: int | None = None) -> bytes:
        try:
            value = bytes.fromhex(field(data, name, str))
        except ValueError:
            raise RelayRefused("malformed") from None
        if length is not None and len(value) != length:
            raise RelayRefused("malformed")
        return value

    @app.post(BEGIN)
    def card_auth_begin():
        if authority is None:
            return refuse(404, "no_card_key")
        try:
            station_id, data = signed_station()
            token, answer = authority.begin(
                station_id, field(data, "township", str)[:64], field(data, "version", int),
                hexes(data, "uid"), field(data, "key_no", int), hexes(data, "enc_rnd_b", 16))
        except RelayRefused as refused:
            return refuse(refused.status, refused.reason)
        return jsonify(token=token, answer=answer.hex())

    @app.post(FINISH)
    def card_auth_finish():
        if authority is None:
            return refuse(404, "no_card_key")
        try:
            station_id, data = signed_station()
            session = authority.finish(station_id, field(data, "token", str)[:64],
                                       hexes(data, "card_answer", 32))
        except RelayRefused as refused:
            return refuse(refused.status, refused.reason)
        return jsonify(ti=session.ti.hex(), enc=session.enc.hex(), mac=session.mac.hex())
