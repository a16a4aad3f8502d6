"""A reader that follows the stored events by per-station position while 100,000 events
commit from eight threads at once, each transaction held open a random moment before its
commit (PostgreSQL, where sequence values become visible out of order): it misses none and
repeats none.

The events are small and unsigned and go straight to the store's transaction (the batch's
signature check is tests/county/test_follow_concurrent.py's, through BatchIntake, with
2,000 signed events): what is tested here is what a follower sees of concurrent commits,
at the issue's scale, in seconds rather than the minutes 100,000 signatures would take."""

from __future__ import annotations

import random
import time
import uuid

from kiosk.county.bootstrap import open_store_at
from kiosk.domain.events import Event
from tests.county.test_follow_concurrent import follow_while_pushing

STATIONS, BATCHES, PER_BATCH = 8, 50, 250  # 100,000 events


def small_events(station_id: str, first: int, count: int) -> list[Event]:
    return [Event(v=1, id=f"{station_id}-{seq}", station_id=station_id, seq=seq, type="t",
                  payload={}, wall_time="2026-12-01T00:00:00.000000Z", boot_id="b", mono_ns=seq,
                  prev_hash="p", hash="h", signature="s") for seq in range(first, first + count)]


def test_a_position_reader_misses_and_repeats_nothing_over_100000_events(postgres):
    store = open_store_at(postgres.new_database(f"follow_{uuid.uuid4().hex[:12]}"))
    stations = [f"st-{n}" for n in range(STATIONS)]
    for station_id in stations:
        store.enroll(station_id, "00" * 32, "2026-12-01T00:00:00.000000Z")

    def push(station_id: str, seed: int) -> None:
        rng = random.Random(seed)
        for batch in range(BATCHES):
            events = small_events(station_id, batch * PER_BATCH + 1, PER_BATCH)

            def commit(tx, events=events):
                tx.insert(station_id, events, "2026-12-01T00:00:00.000000Z")
                time.sleep(rng.uniform(0, 0.01))  # held open before its commit
            store.write(commit)

    seen, errors = follow_while_pushing(store, stations, push, page=2000, push_seconds=300)
    assert errors == []
    assert len(seen) == STATIONS * BATCHES * PER_BATCH == 100_000
    assert len(set(seen)) == len(seen)  # none twice
    assert set(seen) == {(s, seq) for s in stations for seq in range(1, BATCHES * PER_BATCH + 1)}
