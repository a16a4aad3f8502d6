"""The report read models on the county's real intake path, SQLite and PostgreSQL: signed
station histories pushed in random batches and interleavings through BatchIntake count what
an independent count straight from the events says (tests/reports/oracle.py), the published
report's every cell agrees with it, a rebuild gives the same tables, and a county whose
events were stored before the read models existed catches up (in the intake transaction,
and by ``Projections.catch_up``)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.adapters.clock import FakeClock
from kiosk.county.bootstrap import build_projections, open_store_at, wire
from kiosk.county.projections import Projections
from kiosk.county.services.intake import BatchIntake
from kiosk.keys import StationKey
from tests.reports.cells import cell_value, stocks
from tests.reports.histories import STATIONS, county_events
from tests.reports.oracle import count

MONTHS = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)]


@pytest.fixture
def county(tmp_path, county_database):
    clock = FakeClock(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
    store = open_store_at(county_database or str(tmp_path / "county.db"), clock)
    chains = county_events(0)
    for station, events in chains.items():
        store.enroll(station, events[0].payload["public_key"], "2025-10-01T00:00:00.000000Z")
    services = wire(store, StationKey(Ed25519PrivateKey.generate()), clock)
    yield store, services, chains
    store.close()


def push(intake, store, chains, rng: random.Random, batch: int) -> None:
    queues = {s: [list(c[i:i + batch]) for i in range(0, len(c), batch)] for s, c in chains.items()}
    while any(queues.values()):
        station = rng.choice(sorted(s for s, q in queues.items() if q))
        intake.receive(store.station(station), queues[station].pop(0), None)


def counted(store) -> dict:
    return stocks({tuple(k): n for k, n in store.reports().counts("0000-00", "9999-99")}, MONTHS)


def test_intake_counts_match_an_independent_count_and_every_published_cell(county):
    store, services, chains = county
    push(services.intake, store, chains, random.Random(2), 170)
    oracle = count(chains)
    assert counted(store) == dict(oracle)
    for year in (2025, 2026):
        report = services.reports.published(year).report
        checked = 0
        for series in report.series:
            for row in report.rows:
                for column in report.columns[series]:
                    cell, value = report.cell(series, row, column), cell_value(oracle, STATIONS, series, row, column)
                    if isinstance(cell, int):
                        assert cell == value, (series, row, column)
                        checked += 1
                    else:
                        assert (value < report.threshold) == (cell == f"<{report.threshold}")
        assert checked > 500
    incremental = store.reports().report_tables()
    assert Projections(build_projections()).rebuild(store) == sum(len(c) for c in chains.values())
    assert store.reports().report_tables() == incremental


def test_events_stored_before_the_read_models_are_caught_up(county):
    store, services, chains = county
    halves = {s: c[:len(c) // 2] for s, c in chains.items()}
    rests = {s: c[len(c) // 2:] for s, c in chains.items()}
    push(BatchIntake(store, services.clock, Projections([])), store, halves, random.Random(3), 400)
    assert store.reports().report_tables()["report_counts"] == []
    # the next batch of st-east fills its gap in the intake transaction; the others wait...
    east = STATIONS[0]
    push(services.intake, store, {east: rests[east]}, random.Random(4), 300)
    assert store.reports().report_positions() == {east: len(chains[east])}
    # ...until the publisher's worker catches them up at start (kiosk-county serve)
    assert Projections(build_projections()).catch_up(store) == sum(
        len(halves[s]) for s in STATIONS[1:])
    push(services.intake, store, {s: rests[s] for s in STATIONS[1:]}, random.Random(5), 250)
    assert counted(store) == dict(count(chains))


def test_payloads_the_reports_cannot_read_are_stored_and_counted_nowhere(county):
    """A signed batch is kept whatever its payloads hold: an event that lacks what its
    indicator reads (a station's bug, an older format) is logged and counted nowhere,
    and the rest of the batch counts as usual. A read model never makes a station retry."""
    from kiosk.county.domain.intake import Stored
    from kiosk.county.domain.reports import CountKey
    from kiosk.domain.events import ChainHead
    from kiosk.domain.unit_of_work import EventFactory
    store, services, _chains = county
    key = StationKey(Ed25519PrivateKey.generate())
    store.enroll("st-odd", key.public_bytes().hex(), "2026-03-01T00:00:00.000000Z")
    factory = EventFactory("st-odd", key, FakeClock(dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)))
    good = {"resident_id": "r1", "local_date": "2026-03-03", "queue_no": 1}
    enrolment = {"enrolment_id": "e1", "resident_id": "r1", "plan": "prenatal"}  # as the roster reads
    payloads = [
        ("checkin.created", {"resident_id": "r1"}),
        ("checkin.created", {**good, "local_date": "2026-13-45"}),
        ("checkin.created", {**good, "resident_id": ["r1"]}),
        ("care.enrolled", {**enrolment, "items": [{"id": "i1", "code": "c", "latest": "soon"}]}),
        ("care.enrolled", {**enrolment, "items": "every one"}),
        ("visit.logged", {"id": "v1", "item_id": "i1", "visit_date": None, "outcome": "completed"}),
        ("visit.corrected", {"id": "v2", "item_id": "i1", "visit_date": "2026-03-03",
                             "outcome": "completed", "corrects": 5}),
        ("consent.given", {"resident_id": ""}),
        ("care_item.declined", {"item_id": ""}),
        ("checkin.created", good),
    ]
    head, events = ChainHead(), []
    for type_, payload in payloads:
        event = factory.next(head, type_, payload)
        head = ChainHead(event.seq, event.hash)
        events.append(event)
    outcome = services.intake.receive(store.station("st-odd"), events, None)
    assert isinstance(outcome, Stored) and store.head_of("st-odd") == len(payloads)
    counted = {k: n for k, n in store.reports().counts("2026-01", "2026-12")
               if k.station_id in ("st-odd", "")}
    assert counted == {CountKey("st-odd", "checkins", "", "", "", "2026-03"): 1,
                       CountKey("st-odd", "residents_served", "", "", "", "2026-03"): 1,
                       CountKey("", "residents_served", "", "", "", "2026-03"): 1}
    assert store.reports().report_positions()["st-odd"] == len(payloads)
