"""Publishing off the request path (kiosk-county serve): a worker publishes the reports after
accepted batches (debounced) and pages serve the last published report, never computing one
themselves, so the overview, the station pages, the CSV and the summaries all show that one
report; a second process serves the stored one as it is; without the worker a request
publishes when the counts moved. SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.adapters.clock import FakeClock
from kiosk.county.bootstrap import open_store_at, report_settings, wire
from kiosk.keys import StationKey
from tests.reports.histories import county_events

STATION = "st-east"


def wait_for(predicate, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def county(tmp_path, county_database):
    clock = FakeClock(dt.datetime(2026, 4, 20, 2, 0, tzinfo=dt.UTC))
    store = open_store_at(county_database or str(tmp_path / "county.db"), clock)
    events = county_events(0)[STATION]
    store.enroll(STATION, events[0].payload["public_key"], "2025-10-01T00:00:00.000000Z")
    settings = dataclasses.replace(report_settings(), background=True, quiet_s=0.05,
                                   max_wait_s=1.0, poll_s=0.2)
    services = wire(store, StationKey(Ed25519PrivateKey.generate()), clock, reports=settings)
    yield store, services, clock, list(events)
    services.reports.stop()
    store.close()


def test_a_worker_publishes_after_batches_and_pages_serve_the_last_report(county):
    store, services, clock, events = county
    reports = services.reports
    services.intake.receive(store.station(STATION), events[:600], None)
    reports.start()
    assert wait_for(lambda: store.reports().published_stamp(2026) is not None
                    and store.reports().published_stamp(2026)[0] == reports.fingerprint(2026))
    first = reports.published(2026)
    clock.advance(minutes=5)
    reports.stop()  # the worker is held back: a new batch is not published yet
    services.intake.receive(store.station(STATION), events[600:], None)
    assert reports.fingerprint(2026) != first.fingerprint
    served = reports.published(2026)
    assert served is first  # the last published one, not computed on request
    (fresh,) = reports.freshness(served, STATION)  # and it says how far it counts
    assert (fresh.counted, fresh.stored) == (600, len(events))
    reports.start()  # as after a restart: the worker publishes what moved
    assert wait_for(lambda: reports.published(2026).fingerprint == reports.fingerprint(2026))
    second = reports.published(2026)
    assert second.published_at > first.published_at and second.report != first.report

    other = wire(store, services.key, clock, reports=reports.settings).reports  # another process
    loaded = other.published(2026)
    assert (loaded.fingerprint, loaded.published_at) == (second.fingerprint, second.published_at)
    assert loaded.report.cells == second.report.cells


def test_without_a_worker_a_request_publishes_when_the_counts_moved(county):
    store, services, clock, events = county
    reports = dataclasses.replace(services.reports.settings, background=False)
    on_request = wire(store, services.key, clock, reports=reports)
    on_request.intake.receive(store.station(STATION), events[:500], None)
    first = on_request.reports.published(2026)
    assert on_request.reports.published(2026) is first
    clock.advance(minutes=1)
    on_request.intake.receive(store.station(STATION), events[500:], None)
    assert on_request.reports.published(2026).published_at > first.published_at


def test_a_new_time_zone_needs_a_rebuild_first(tmp_path):
    from kiosk.errors import ConfigError
    store = open_store_at(str(tmp_path / "county.db"))
    try:
        key = StationKey(Ed25519PrivateKey.generate())
        shanghai = wire(store, key, FakeClock(), reports=report_settings())
        shanghai.reports.check_timezone()  # the first start records the zone it counts in
        urumqi = dataclasses.replace(report_settings(), timezone="Asia/Urumqi")
        moved = wire(store, key, FakeClock(), reports=urumqi)
        with pytest.raises(ConfigError) as refused:
            moved.reports.check_timezone()
        assert refused.value.key == "reports.timezone" and "kiosk-county rebuild" in refused.value.fix
        moved.intake.projections.named("reports").rebuild(store)
        moved.reports.check_timezone()  # counted again in the new zone: serve may start
        with pytest.raises(ConfigError):
            shanghai.reports.check_timezone()
    finally:
        store.close()


def test_while_a_rebuild_runs_the_reports_published_before_are_served(county):
    from kiosk.county.domain.clock import stamp
    from kiosk.county.domain.report_rows import REBUILDING
    store, services, clock, events = county
    on_request = wire(store, services.key, clock,
                      reports=dataclasses.replace(services.reports.settings, background=False))
    on_request.intake.receive(store.station(STATION), events[:500], None)
    before = on_request.reports.published(2026)
    store.write(lambda tx: tx.reset_reports())  # as a rebuild's first step: the counts are gone
    store.write(lambda tx: tx.set_report_state(REBUILDING, stamp(clock.now())))
    assert on_request.reports.refresh() == []
    assert on_request.reports.published(2026).report.cells == before.report.cells
    clock.advance(hours=7)  # a rebuild that died says so no longer than 6 hours
    assert on_request.reports.refresh() == [2026]
    assert on_request.reports.published(2026).report.cells != before.report.cells
