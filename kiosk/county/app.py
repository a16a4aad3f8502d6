"""The county receiver's HTTP API (Flask app factory).

POST /api/v1/stations/<station_id>/events  push a batch (docs/sync-protocol.md)
GET  /api/v1/county-key                    the county's public key (hex)
POST /api/v1/card-auth/begin, /finish      relayed card authentication (card_relay.py)
GET  /healthz                              liveness and event count
Every error is JSON with a reason; malformed input is 400, never 500.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import replace
from typing import Any

from cryptography.exceptions import InvalidSignature
from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from kiosk.county import successions
from kiosk.county.roster_guard import screen_batch
from kiosk.county.store import CountyStore
from kiosk.domain.disclosure import cut
from kiosk.domain.events import ChainHead
from kiosk.keys import StationKey, public_key_from_hex
from kiosk.protocol.sync import (
    MAX_BYTES,
    STATION_ID,
    Accepted,
    Fork,
    Gap,
    Malformed,
    RejectedBatch,
    ack_body,
    check_shape,
    judge,
    parse_batch,
    push_message,
    sign_ack,
)

log = logging.getLogger("kiosk.county")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(instant: dt.datetime) -> str:
    return instant.isoformat(timespec="microseconds").replace("+00:00", "Z")


def create_county_app(store: CountyStore, county_key: StationKey, clock=_now,
                      card_key: bytes | None = None) -> Flask:
    """``card_key``: the county card key, for relayed card authentication (card_relay)."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BYTES + 4096

    def error(status: int, reason: str, **extra):
        return jsonify(error=reason, **extra), status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return error(exc.code or 500, exc.name.lower().replace(" ", "_"))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # logged for the operator; the station just retries
        log.exception("unexpected error on %s", request.path)
        return error(503, "try_again")

    @app.get("/healthz")
    def healthz():
        return {"ok": True, "stations": len(store.stations())}

    from kiosk.county.pages import bp as pages
    app.extensions["county_store"] = store
    app.register_blueprint(pages)

    @app.get("/api/v1/roster")
    def roster():
        """Other stations' shared entries after a cursor, for a station that signs its ask."""
        from kiosk.protocol import roster as feed
        station_id = request.headers.get("X-Station-Id", "")
        station_time = request.headers.get("X-Station-Time", "")
        after = request.args.get("after", "0")
        if not after.isdigit():
            return error(400, "malformed", detail="after must be a cursor number")
        station = store.station(station_id) if STATION_ID.match(station_id) else None
        if station is None or station.status != "enrolled":
            return error(403, "unknown_station" if station is None else "station_revoked")
        if not feed.fresh(station_time, clock()):
            return error(403, "stale_request", detail="X-Station-Time is off by more than 5 min")
        try:
            public_key_from_hex(station.public_key).verify(
                bytes.fromhex(request.headers.get("X-Station-Signature", "")),
                feed.request_message(station_id, int(after), station_time))
        except Exception:
            return error(403, "bad_signature")
        rows, last = store.feed(station_id, int(after), 1000)
        entries = [e for e in (feed.entry(*row) for row in rows) if e is not None]
        keys = {s.id: s.public_key for s in store.stations() if s.status == "enrolled"}
        page = {"for": station_id, "after": int(after), "next": last, "entries": entries,
                "stations": keys, "revoked": store.revocations(), "county_time": _iso(clock()),
                "former": successions.former_keys(store._conn(), set(keys))}
        return jsonify(feed.sign_page(page, county_key))

    from kiosk.county.restore_api import register_restore
    register_restore(app, store, county_key, clock)
    from kiosk.county.card_relay import register_card_relay
    register_card_relay(app, store, card_key, clock)

    @app.get("/api/v1/county-key")
    def county_public_key():
        return {"public_key": county_key.public_bytes().hex()}

    @app.post("/api/v1/stations/<station_id>/events")
    def push(station_id: str):
        if not STATION_ID.match(station_id):
            return error(403, "unknown_station")
        station = store.station(station_id)
        if station is None:
            return error(403, "unknown_station")
        if station.status != "enrolled":
            return error(403, "station_revoked")
        if len(request.get_data()) > MAX_BYTES:
            return error(413, "batch_too_large", max_bytes=MAX_BYTES)
        try:
            check_shape(request.get_data())
            events = parse_batch(json.loads(request.get_data() or b"null"))
        except (ValueError, UnicodeDecodeError) as exc:
            reason = str(exc) if isinstance(exc, Malformed) else "body is not JSON"
            log.warning("station %s: malformed batch: %s", station_id, reason)
            return error(400, "malformed", detail=reason)
        now = clock()
        metadata = _signed_metadata(station, request.get_data(), request.headers, now)

        def store_batch(tx) -> tuple[ChainHead | None, Any]:
            """On the store's writer: judge against the stored head and keep what is new."""
            head = tx.head(station_id)
            keys = successions.key_schedule(tx.conn, station_id, station.public_key)
            verdict = judge(station_id, events, keys, head, lambda seq: tx.hash_at(station_id, seq))
            if isinstance(verdict, Fork):
                tx.keep_fork(station_id, verdict.event, _iso(now))
            if not isinstance(verdict, Accepted):
                return None, verdict
            # verified in full above; kept without what only the station needs
            tx.insert(station_id, [replace(e, payload=cut(e.type, e.payload)) for e in verdict.new],
                      _iso(now))
            screen_batch(tx, station_id, verdict.new, _iso(now))
            successions.take(tx.conn, station_id, verdict.new)
            if metadata is not None:
                tx.synced(station_id, _iso(now), *metadata)
            return tx.head(station_id), verdict

        head, verdict = store.write(store_batch)
        if isinstance(verdict, RejectedBatch):
            log.warning("station %s: batch refused: %s", station_id, verdict.reason)
            return error(400, "refused", detail=verdict.reason)
        if isinstance(verdict, Gap):
            return error(409, "gap", expected_seq=verdict.expected_seq)
        if isinstance(verdict, Fork):
            log.error("ALERT station %s: fork at seq %d kept aside", station_id, verdict.seq)
            return error(409, "fork", seq=verdict.seq)
        assert head is not None and isinstance(verdict, Accepted)
        body = ack_body(station_id, head.seq, head.hash, _iso(now))
        return jsonify(sign_ack(body, county_key))

    return app


def _signed_metadata(station, body: bytes, headers, now: dt.datetime):
    """(clock offset, reported head) from a push the station signed, or None. A replayed
    signature counts only if its station time is newer than the last one kept, or within
    5 minutes of now: an old request cannot set the last sync, clock offset or backlog."""
    from kiosk.protocol.roster import fresh
    station_time = headers.get("X-Station-Time", "")
    reported = headers.get("X-Station-Head", "")
    try:
        public_key_from_hex(station.public_key).verify(
            bytes.fromhex(headers.get("X-Station-Signature", "")),
            push_message(station.id, station_time, reported, body))
    except (ValueError, InvalidSignature):
        return None
    offset = _clock_offset(station_time, now)
    if offset is None:
        return None
    if not fresh(station_time, now) and station.last_sync and station.clock_offset_s is not None:
        kept = (dt.datetime.fromisoformat(station.last_sync.replace("Z", "+00:00"))
                + dt.timedelta(seconds=station.clock_offset_s))
        if now + dt.timedelta(seconds=offset) <= kept:
            return None
    return offset, int(reported) if reported.isdigit() else None


def _clock_offset(station_time: str, now: dt.datetime) -> float | None:
    """Seconds the station's wall clock is ahead of the county's (X-Station-Time header)."""
    try:
        wall = dt.datetime.fromisoformat(station_time.replace("Z", "+00:00"))
        return round((wall - now).total_seconds(), 3) if wall.tzinfo else None
    except ValueError:
        return None
