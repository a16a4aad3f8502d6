"""A reader that follows the stored events by per-station position while four stations'
batches commit at the same time, each transaction held open a random moment before its
commit: it misses none and repeats none (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
import threading
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.adapters.clock import FakeClock
from kiosk.county.bootstrap import open_store_at, system_clock
from kiosk.county.projections import Projections
from kiosk.county.services.intake import BatchIntake
from kiosk.domain.events import ChainHead
from kiosk.domain.unit_of_work import EventFactory
from kiosk.keys import StationKey

STATIONS, BATCHES, PER_BATCH = 4, 25, 20


class SlowCommit:
    """A projection that holds the intake transaction open for a random moment."""

    name = "slow-commit"
    each_event = False

    def __init__(self, seed: int):
        self.random = random.Random(seed)

    def apply(self, tx, station_id, events) -> None:
        time.sleep(self.random.uniform(0, 0.01))

    def reset(self, tx) -> None:
        pass


def batches(station_id: str, key: StationKey) -> list[list]:
    factory, head, out = EventFactory(station_id, key, FakeClock()), ChainHead(), []
    for _ in range(BATCHES):
        batch = []
        for n in range(PER_BATCH):
            event = factory.next(head, "test.thing", {"n": n})
            head = ChainHead(event.seq, event.hash)
            batch.append(event)
        out.append(batch)
    return out


def test_a_position_reader_misses_and_repeats_nothing(tmp_path, county_database):
    store = open_store_at(county_database or str(tmp_path / "county.db"))
    keys = {f"st-{n}": StationKey(Ed25519PrivateKey.generate()) for n in range(STATIONS)}
    for station_id, key in keys.items():
        store.enroll(station_id, key.public_bytes().hex(), "2026-12-01T00:00:00.000000Z")
    work = {station_id: batches(station_id, key) for station_id, key in keys.items()}

    def push(station_id: str, seed: int) -> None:
        intake = BatchIntake(store, system_clock(), Projections([SlowCommit(seed)]))
        for batch in work[station_id]:
            intake.receive(store.station(station_id), batch, None)

    seen, errors = follow_while_pushing(store, list(keys), push, page=50, push_seconds=120)
    assert errors == []
    expected = {(s, seq) for s in keys for seq in range(1, BATCHES * PER_BATCH + 1)}
    assert len(seen) == len(expected) and set(seen) == expected


def follow_while_pushing(store, stations: list[str], push, page: int, push_seconds: float
                         ) -> tuple[list[tuple[str, int]], list[BaseException]]:
    """``push(station_id, seed)`` on a thread per station while one reader follows the store by
    per-station position, ``page`` rows at a time, until the pushers are done and it has read
    everything: what the reader saw, (station id, seq) in its order, and every thread's error.
    The store is closed at the end."""
    done, errors, seen = threading.Event(), [], []

    def pushing(station_id: str, seed: int) -> None:
        try:
            push(station_id, seed)
        except BaseException as exc:  # reported on the test's thread
            errors.append(exc)

    def follow() -> None:
        positions: dict[str, int] = {}
        try:
            while True:
                finished = done.is_set()
                rows, positions = store.follow(positions, page)
                seen.extend((r[0], r[1]) for r in rows)
                if finished and not rows:
                    return
        except BaseException as exc:
            errors.append(exc)

    pushers = [threading.Thread(target=pushing, args=(s, n)) for n, s in enumerate(stations)]
    reader = threading.Thread(target=follow)
    reader.start()
    for thread in pushers:
        thread.start()
    for thread in pushers:
        thread.join(push_seconds)
    done.set()
    reader.join(push_seconds / 2)
    store.close()
    return seen, errors
