"""kiosk/sim/station_year.py: a simulated station's year carries the payloads the station's
own services write (compared field by field with a history grown through them), and the
demo station's year makes a station that opens, verifies, and has nothing left to close."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.adapters.clock import FakeClock
from kiosk.bootstrap import build_core
from kiosk.config.care_plans import load_plans
from kiosk.config.loader import load_config
from kiosk.demo.seeding import DEMO_PROFILE, seed_station_history
from kiosk.keys import StationKey, generate_key_file
from kiosk.ops.verify import verify_database
from kiosk.sim.station_year import simulate_year
from kiosk.store.sync_log import events_after
from kiosk.testing.history import History
from kiosk.testing.station import write_station_config

# what the county counts (docs/reports.md), and what a simulated year always has of it
COUNTED = {"resident.registered", "consent.given", "consent.withdrawn", "checkin.created",
           "care.enrolled", "visit.logged", "visit.corrected", "care_item.declined"}
ALWAYS = {"station.initialized", "technician.added", "resident.registered", "consent.given",
          "card.issued", "checkin.created", "queue.called", "queue.started", "queue.done",
          "care.enrolled", "visit.logged"}


def shape(value: Any) -> Any:
    """A payload's keys, nested, with each leaf's kind (str, int, bool, None, commitment)."""
    if isinstance(value, dict):
        if "_station_only" in value:
            return "commitment"
        return {k: shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def fits(kind: Any, known: Any) -> bool:
    """``kind`` is a shape the services write: the same keys, and each leaf of the same kind,
    where an optional field (None on either side) fits any kind. Which optional fields a
    services history happens to fill depends on its random ids (which item comes next)."""
    if isinstance(kind, dict) and isinstance(known, dict):
        return kind.keys() == known.keys() and all(fits(kind[k], known[k]) for k in kind)
    if isinstance(kind, list) and isinstance(known, list):
        return not kind or not known or fits(kind[0], known[0])
    return kind == known or "NoneType" in (kind, known)


def shapes(events) -> dict[str, list]:
    found: dict[str, list] = {}
    for event in events:
        kinds = found.setdefault(event["type"] if isinstance(event, dict) else event.type, [])
        payload = event["payload"] if isinstance(event, dict) else event.payload
        if shape(payload) not in kinds:
            kinds.append(shape(payload))
    return found


@pytest.fixture(scope="module")
def services_shapes(tmp_path_factory):
    """Payload shapes of a history grown through the station's services (SQLite, real cards)."""
    base = tmp_path_factory.mktemp("services")
    config = load_config(write_station_config(base / "station", None, station_id="st-shapes"))
    generate_key_file(config.station.key_file)
    clock = FakeClock(dt.datetime(2026, 6, 1, 1, 0, tzinfo=dt.UTC))
    core = build_core(config, clock=clock)
    try:
        History(core, clock, seed=5).grow(900)
        return shapes(events_after(core.db, 0, 10_000))
    finally:
        core.close()


def test_a_simulated_year_writes_the_services_payloads(services_shapes):
    key = StationKey(Ed25519PrivateKey.generate())
    log = simulate_year("st-sim", key, dt.date(2026, 9, 1), load_plans(), DEMO_PROFILE, seed=3,
                        days=120)
    simulated = shapes(log.events)
    assert COUNTED <= set(services_shapes) and ALWAYS <= set(simulated)
    for type_, kinds in simulated.items():
        assert type_ in services_shapes, f"{type_}: the services never write it"
        for kind in kinds:
            assert any(fits(kind, known) for known in services_shapes[type_]), \
                (type_, kind, services_shapes[type_])


def test_the_demo_year_makes_a_station_that_opens_and_verifies(tmp_path):
    config = load_config(write_station_config(tmp_path / "station", None,
                                              station_id="demo-station"))
    key = generate_key_file(config.station.key_file)
    today = dt.date(2026, 12, 7)
    started = time.perf_counter()
    written = seed_station_history(config, key, today)
    seconds = time.perf_counter() - started
    print(f"figure: demo_station_year_events = {written} events")
    print(f"figure: demo_station_year_seconds = {seconds:.1f} s")
    assert written > 4000
    assert seed_station_history(config, key, today) == 0  # once: the log is there
    report = verify_database(config.station.database, config.station.key_file, "demo-station")
    assert report.ok and report.checked == written, report.problems[:3]
    clock = FakeClock(dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC))
    core = build_core(config, clock=clock)  # the genesis matches the key and the station id
    try:
        counts = Counter(r[0] for r in core.db.execute("SELECT type FROM events"))
        rows = {t: core.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("residents", "checkins", "visits", "issued_cards")}
        assert rows == {"residents": counts["resident.registered"],
                        "checkins": counts["checkin.created"],
                        "visits": counts["visit.logged"] + counts["visit.corrected"],
                        "issued_cards": counts["card.issued"]}
        assert core.queue.close_past_days() == []  # every past day's queue was closed
        months = {r[0] for r in core.db.execute("SELECT substr(local_date, 1, 7) FROM checkins")}
        assert len(months) == 13  # twelve whole months and this one so far
    finally:
        core.close()
