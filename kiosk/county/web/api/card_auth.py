"""POST /api/v1/card-auth/begin and /finish: the county relays a DESFire card's authentication
for a station that holds no key of the card's township (kiosk.protocol.card_relay; the work is
kiosk.county.services.card_auth).

Only enrolled stations, with a fresh request they signed (web/station_auth.py); then 404 when
the county has no card key (``kiosk-county card-key init``). Malformed input is 400, never a
traceback."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, jsonify, request

from kiosk.county.services.card_auth import CardAuthority, RelayRefused
from kiosk.county.web.api import error, services
from kiosk.county.web.station_auth import RequestRefused, verify
from kiosk.protocol.card_relay import BEGIN, FINISH, MAX_BODY, request_message
from kiosk.protocol.sync import STATION_ID

bp = Blueprint("station_card_auth", __name__)


def _signed_station() -> tuple[str, dict[str, Any]]:
    """(station id, JSON body) of a request an enrolled station signed; RelayRefused else."""
    county = services()
    station_id, body = request.headers.get("X-Station-Id", ""), request.get_data()
    if len(body) > MAX_BODY:
        raise RelayRefused("too_large", 413)
    station = county.store.station(station_id) if STATION_ID.match(station_id) else None
    if station is None or station.status != "enrolled":
        raise RelayRefused("unknown_station", 403)
    signed = verify(station.public_key,
                    lambda time: request_message(station_id, time, request.path, body),
                    request.headers, county.clock.now())
    if isinstance(signed, RequestRefused):
        raise RelayRefused(signed.reason, 403)
    try:
        data = json.loads(body)
    except ValueError:
        raise RelayRefused("malformed") from None
    if not isinstance(data, dict):
        raise RelayRefused("malformed")
    return station_id, data


def _field(data: dict[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise RelayRefused("malformed")
    return value


def _hex(data: dict[str, Any], name: str, length: int | None = None) -> bytes:
    try:
        value = bytes.fromhex(_field(data, name, str))
    except ValueError:
        raise RelayRefused("malformed") from None
    if length is not None and len(value) != length:
        raise RelayRefused("malformed")
    return value


def _authority() -> CardAuthority:
    authority = services().card_auth
    if authority is None:
        raise RelayRefused("no_card_key", 404)
    return authority


@bp.post(BEGIN)
def card_auth_begin():
    try:
        station_id, data = _signed_station()  # strangers learn nothing, not even that
        authority = _authority()
        token, answer = authority.begin(
            station_id, _field(data, "township", str)[:64], _field(data, "version", int),
            _hex(data, "uid"), _field(data, "key_no", int), _hex(data, "enc_rnd_b", 16))
    except RelayRefused as refused:
        return error(refused.status, refused.reason)
    return jsonify(token=token, answer=answer.hex())


@bp.post(FINISH)
def card_auth_finish():
    try:
        station_id, data = _signed_station()
        authority = _authority()
        session = authority.finish(station_id, _field(data, "token", str)[:64],
                                   _hex(data, "card_answer", 32))
    except RelayRefused as refused:
        return error(refused.status, refused.reason)
    return jsonify(ti=session.ti.hex(), enc=session.enc.hex(), mac=session.mac.hex())
