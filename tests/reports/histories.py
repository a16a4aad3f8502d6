"""Random station histories as real signed events, made once per test session: three
stations grown through the domain services (kiosk/testing/history.py) from 1 November 2025,
about 1,300 events each over three to four months, so reports cross a year's end."""

from __future__ import annotations

import datetime as dt
import functools
import tempfile
from pathlib import Path

from kiosk.adapters.clock import FakeClock
from kiosk.bootstrap import build_core
from kiosk.config.loader import load_config
from kiosk.domain.events import Event
from kiosk.keys import generate_key_file
from kiosk.store.sync_log import events_after
from kiosk.testing.history import History
from kiosk.testing.station import write_station_config

STATIONS = ("st-east", "st-north", "st-west")
EVENTS = 1300
START = dt.datetime(2025, 11, 1, 1, 0, tzinfo=dt.UTC)


@functools.cache
def history(station_id: str, seed: int, events: int = EVENTS) -> tuple[tuple[Event, ...], tuple[str, ...]]:
    """(the station's events in chain order, every name and birth date it registered)."""
    base = Path(tempfile.mkdtemp(prefix=f"reports-{station_id}-"))
    config = load_config(write_station_config(base / "station", None, station_id=station_id))
    generate_key_file(config.station.key_file)
    clock = FakeClock(START)
    core = build_core(config, clock=clock)
    try:
        grown = History(core, clock, seed=seed, day_weight=12)
        grown.grow(events)
        rows = events_after(core.db, 0, 10 * events)
        secrets = [r[0] for r in core.db.execute(
            "SELECT name FROM residents UNION SELECT birth_date FROM residents "
            "WHERE birth_date IS NOT NULL").fetchall()]
    finally:
        core.close()
    fields = Event.__dataclass_fields__
    return tuple(Event(**{k: v for k, v in r.items() if k in fields}) for r in rows), tuple(secrets)


def county_events(seed: int = 0) -> dict[str, tuple[Event, ...]]:
    return {s: history(s, seed + n)[0] for n, s in enumerate(STATIONS)}


def private_words(seed: int = 0) -> set[str]:
    return {w for n, s in enumerate(STATIONS) for w in history(s, seed + n)[1]}
