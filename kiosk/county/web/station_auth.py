"""The signed-request check, once: a station's Ed25519 signature (hex, X-Station-Signature)
over a request message that includes its X-Station-Time, and how fresh that time is.

Every station endpoint asks ``verify`` (or ``verify_request``) and gets a ``StationRequest``
or a ``RequestRefused`` with the reason the station is told (403). The roster and the restore
require a fresh request; a push does not (``require_fresh=False``): its batch is stored either
way (each event carries its own signature), and only a signed push may set the station's sync
metadata (kiosk.county.domain.stations.sync_metadata judges a replayed one).

Every parameter that changes an answer is signed (issue 23, N14). ``verify_request`` checks
version 2 (kiosk.protocol.station_requests: the method, the path, every query parameter and
the body); an endpoint that reads the query uses it and is marked ``signs_query``. Any other
station endpoint signs a message of its own over its body, and takes no query at all: the
guard (pages/guard.py) answers 400 to a query sent to it, so nothing unsigned rides along."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature

from kiosk.keys import public_key_from_hex
from kiosk.protocol.roster import MAX_SKEW_S, fresh
from kiosk.protocol.station_requests import canonical_query, request_message


@dataclass(frozen=True)
class StationRequest:
    """A request the station's key signed."""

    station_time: str
    fresh: bool  # X-Station-Time within MAX_SKEW_S of the county's clock


@dataclass(frozen=True)
class RequestRefused:
    reason: str
    detail: str = ""


STALE = RequestRefused("stale_request", f"X-Station-Time is off by more than {MAX_SKEW_S // 60} min")
BAD_SIGNATURE = RequestRefused("bad_signature")


def verify(public_key_hex: str, message: Callable[[str], bytes], headers: Any, now: dt.datetime,
           require_fresh: bool = True) -> StationRequest | RequestRefused:
    """Check the request's headers: ``message(station_time)`` is what the station signed."""
    station_time = headers.get("X-Station-Time", "")
    is_fresh = fresh(station_time, now)
    if require_fresh and not is_fresh:
        return STALE
    try:
        public_key_from_hex(public_key_hex).verify(
            bytes.fromhex(headers.get("X-Station-Signature", "")), message(station_time))
    except (ValueError, InvalidSignature):
        return BAD_SIGNATURE
    return StationRequest(station_time, is_fresh)


def signs_query(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a station endpoint whose signature covers the query (``verify_request``): the
    guard lets a query through to it, and to no other station endpoint."""
    view.signs_query = True  # type: ignore[attr-defined]
    return view


def verify_request(public_key_hex: str, station_id: str, request: Any, now: dt.datetime,
                   legacy: Callable[[str], bytes] | None = None
                   ) -> StationRequest | RequestRefused:
    """Version 2 over the Flask ``request``: its method, path, every query parameter (as
    parsed) and body. ``legacy(station_time)``: what a station of an older release signed,
    tried only when the caller has seen that it covers every parameter of this request."""
    query = canonical_query(request.args.items(multi=True))
    body = request.get_data(cache=True)
    signed = verify(public_key_hex, lambda time: request_message(
        station_id, request.method, request.path, query, time, body), request.headers, now)
    if signed is BAD_SIGNATURE and legacy is not None:
        return verify(public_key_hex, legacy, request.headers, now)
    return signed
