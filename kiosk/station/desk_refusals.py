"""Desk logins refused before any PIN: counted in memory, logged as one summary per address.

Every such refusal used to be a signed ``desk.login_refused`` event, so any LAN device posting
the login form without a ticket grew the append-only log, and the county's copy of it, by
about 10 GB a day (docs/security.md, finding N2). A refusal without a real ticket is now only
counted here, per address; each address gets at most one summary event per
``SUMMARY_SECONDS`` (``reason`` no_ticket, with the ``count``), written when its interval
ends or the station stops. Beyond ``PER_MINUTE`` refusals a minute, an address is answered
429 without a page. Attempts that hold a real ticket (a wrong PIN, every session taken) stay
events of their own, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

SUMMARY_SECONDS = 600
PER_MINUTE = 30
MAX_ADDRESSES = 256  # addresses counted apart; the rest are counted together as OTHERS
OTHERS = "*"


@dataclass
class _Count:
    since: float  # the start of this address's summary interval
    count: int
    user_agent: str
    minute: float  # the start of the current minute of the rate limit
    in_minute: int


@dataclass(frozen=True)
class RefusalSummary:
    """What one desk.login_refused summary event says."""

    address: str
    user_agent: str
    count: int


class LoginRefusals:
    def __init__(self, clock: Callable[[], float]):
        self.clock = clock
        self._lock = threading.Lock()
        self._counts: dict[str, _Count] = {}

    def refused(self, address: str, user_agent: str) -> bool:
        """Count one refusal; False when this address is over its rate (answer 429)."""
        now = self.clock()
        with self._lock:
            if address not in self._counts and len(self._counts) >= MAX_ADDRESSES:
                address, user_agent = OTHERS, ""
            found = self._counts.get(address)
            if found is None:
                found = self._counts[address] = _Count(now, 0, user_agent[:200], now, 0)
            if now - found.minute >= 60:
                found.minute, found.in_minute = now, 0
            found.count += 1
            found.in_minute += 1
            return found.in_minute <= PER_MINUTE

    def due(self, everything: bool = False) -> list[RefusalSummary]:
        """The summaries whose interval is over (all of them, ``everything``), taken out."""
        now = self.clock()
        with self._lock:
            done = [a for a, c in self._counts.items()
                    if everything or now - c.since >= SUMMARY_SECONDS]
            return [RefusalSummary(a, c.user_agent, c.count)
                    for a, c in ((a, self._counts.pop(a)) for a in done)]
