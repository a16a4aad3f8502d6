"""The county's time: one Clock port and one timestamp format.

Everything the county stamps (received_at, enrolments, revocations, acknowledgements,
sessions, the audit trail) is written as ``stamp(clock.now())``: UTC, microseconds, ``Z``.
Older rows were written with ``+00:00`` or without microseconds; ``parse_stamp`` reads both.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    """The county's wall clock (kiosk.adapters.clock.SystemClock, or a FakeClock in tests)."""

    def now(self) -> dt.datetime: ...


def stamp(instant: dt.datetime) -> str:
    """The one timestamp format: ``2026-11-29T08:00:00.000000Z``."""
    return instant.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_stamp(text: str | None) -> dt.datetime | None:
    """A stored or sent timestamp (``Z`` or an offset), or None when it is not one."""
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None
