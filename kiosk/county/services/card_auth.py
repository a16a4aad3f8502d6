"""Relayed card authentication (kiosk.protocol.card_relay; its endpoint is
kiosk.county.web.api.card_auth): the county holds the county card key, derives the card's key
of the asked township and version (never hands it out), makes RndA, checks the card's RndA',
and returns the session's keys; it logs every request (station, township, outcome: never the
UID) and limits each station's rate. Its time is the county Clock's."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass

from kiosk.county.domain.clock import Clock
from kiosk.errors import KioskError
from kiosk.protocol import desfire as ev2
from kiosk.protocol.card_relay import READ_KEY
from kiosk.protocol.desfire import DESFIRE_AID

log = logging.getLogger("kiosk.county")
PENDING_SECONDS = 10.0
MAX_PENDING = 512


class RelayRefused(KioskError, ValueError):
    """The county will not take part: ``reason`` says why (rate, unknown token, key ...)."""

    def __init__(self, reason: str, status: int = 400):
        super().__init__(reason)
        self.reason, self.status = reason, status


@dataclass
class _Pending:
    station: str
    township: str
    version: int
    key: bytes
    rnd_a: bytes
    rnd_b: bytes
    expires: float


class RateLimit:
    """A token bucket per station: ``burst`` at once, then ``per_minute``."""

    def __init__(self, clock: Clock, per_minute: int = 60, burst: int = 20):
        self.rate, self.burst, self.clock = per_minute / 60.0, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, station: str) -> bool:
        now = self.clock.now().timestamp()
        tokens, at = self._buckets.get(station, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens < 1:
            self._buckets[station] = (tokens, now)
            return False
        self._buckets[station] = (tokens - 1, now)
        return True


class CardAuthority:
    def __init__(self, county_card_key: bytes, clock: Clock, limit: RateLimit | None = None):
        self._county_key, self.clock = county_card_key, clock
        self.limit = limit or RateLimit(clock)
        self._pending: dict[str, _Pending] = {}
        self._lock = threading.Lock()

    def begin(self, station: str, township: str, version: int, uid: bytes, key_no: int,
              enc_rnd_b: bytes) -> tuple[str, bytes]:
        if key_no != READ_KEY:
            raise RelayRefused("only the read key is relayed", 403)
        if not 0 < version < 256 or len(uid) not in (4, 7, 10) or not township:
            raise RelayRefused("malformed")
        if not self.limit.allow(station):
            log.warning("card relay: station %s over its rate, refused", station)
            raise RelayRefused("rate_limited", 429)
        key = ev2.card_key(ev2.township_key(self._county_key, township, version), uid,
                           DESFIRE_AID, key_no)
        rnd_a = os.urandom(16)
        try:
            rnd_b, answer = ev2.pcd_answer(key, enc_rnd_b, rnd_a)
        except ev2.Ev2Failed as exc:
            raise RelayRefused("malformed") from exc
        token = os.urandom(16).hex()
        now = self.clock.now().timestamp()
        with self._lock:
            self._pending = {t: p for t, p in self._pending.items() if p.expires > now}
            if len(self._pending) >= MAX_PENDING:
                raise RelayRefused("busy", 503)
            self._pending[token] = _Pending(station, township, version, key, rnd_a, rnd_b,
                                            now + PENDING_SECONDS)
        log.info("card relay: station %s, a card of %s (key version %d): begun",
                 station, township, version)
        return token, answer

    def finish(self, station: str, token: str, card_answer: bytes) -> ev2.Session:
        with self._lock:
            pending = self._pending.get(token)
            if pending is None or pending.station != station \
                    or pending.expires < self.clock.now().timestamp():
                raise RelayRefused("unknown_token", 403)
            del self._pending[token]  # one answer per challenge
        try:
            session = ev2.pcd_finish(pending.key, pending.rnd_a, pending.rnd_b, card_answer)
        except ev2.Ev2Failed:
            log.warning("card relay: station %s, a card of %s (key version %d): NOT AUTHENTIC",
                        station, pending.township, pending.version)
            raise RelayRefused("not_authentic", 403) from None
        log.info("card relay: station %s, a card of %s (key version %d): authenticated",
                 station, pending.township, pending.version)
        return session
