"""Sync through a misbehaving network and a station killed mid-sync, against a real
`kiosk-county serve` process on loopback: the county ends with exactly the
station's events, in order, chain verified, none twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from kiosk.adapters.county import HttpCountyLink
from kiosk.domain.chain import verify_chain
from kiosk.keys import public_key_from_hex
from kiosk.ports import CountyRefused
from kiosk.store.sync_log import sync_state
from kiosk.sync.worker import SyncWorker
from tests.county.fault_proxy import FaultProxy
from tests.county.test_county import county_cli, free_port, start_county
from tests.station.test_sync_no_county import wait_until

pytestmark = pytest.mark.slow


def add_events(core, count: int, tag: str) -> None:
    for n in range(count):
        with core.uow() as uow:
            uow.record("test.thing", {"n": n, "tag": tag, "name": "王秀华"})
            uow.commit()


@pytest.fixture
def county(core, tmp_path, county_database):
    data_dir, db = tmp_path / "county", county_database
    public = county_cli(data_dir, "init", database=db).split("public key (hex): ")[1].strip()
    county_cli(data_dir, "enroll", "--station", core.config.station.id,
               "--pubkey", core.key.public_bytes().hex(), database=db)
    port = free_port()
    proc = start_county(data_dir, port, db)
    yield (data_dir, db), port, public
    proc.terminate()
    proc.wait(10)


def assert_county_has_exactly(core, where) -> None:
    from kiosk.county.bootstrap import open_store_at as open_store
    data_dir, db = where
    store = open_store(db or str(data_dir / "county.db"))
    stored = store.events(core.config.station.id, limit=100_000)
    mine = core.db.execute("SELECT seq, hash FROM events ORDER BY seq").fetchall()
    assert [(e.seq, e.hash) for e in stored] == [tuple(r) for r in mine]  # all, in order, once
    assert verify_chain(stored, core.key.public, core.config.station.id).problems == []
    assert store.forks(core.config.station.id) == []


def test_drops_delays_and_duplicates_lose_nothing(core, county):
    data_dir, port, public = county
    add_events(core, 2500, "before")
    proxy = FaultProxy(port, drop=0.2, drop_answer=0.1, duplicate=0.2, delay=0.1)
    worker = SyncWorker(core.writer, HttpCountyLink(f"http://127.0.0.1:{proxy.port}", timeout=10),
                        core.config.station.id, public_key_from_hex(public), batch_events=40)
    deadline, failures = time.monotonic() + 120, 0
    while sync_state(core.db).backlog and time.monotonic() < deadline:
        try:
            worker.push_pending()
        except (OSError, CountyRefused):
            failures += 1
        if failures and failures % 5 == 0:
            add_events(core, 50, "during")  # the station keeps working meanwhile
    proxy.close()
    assert sync_state(core.db).backlog == 0, proxy.counts
    total = sum(proxy.counts.values())
    assert 0.1 < proxy.counts["dropped_request"] / total < 0.3, proxy.counts  # about 20%
    assert proxy.counts["dropped_answer"]
    assert proxy.counts["duplicated"]
    assert_county_has_exactly(core, data_dir)


def test_rebuild_after_a_faulty_sync_gives_the_incremental_tables(core, clock, county):
    """A station's history (registrations, check-ins, enrolments, visits, corrections,
    consent) pushed through drops, duplicates and delays: the read models the intake counted
    batch by batch equal what `kiosk-county rebuild` counts again, run while the county serves."""
    from kiosk.county.bootstrap import open_store_at
    from kiosk.testing.history import History
    (data_dir, db), port, public = county
    history = History(core, clock, seed=7, day_weight=12)
    history.grow(1200)
    proxy = FaultProxy(port, drop=0.2, drop_answer=0.1, duplicate=0.2, delay=0.1, seed=9)
    worker = SyncWorker(core.writer, HttpCountyLink(f"http://127.0.0.1:{proxy.port}", timeout=10),
                        core.config.station.id, public_key_from_hex(public), batch_events=40)
    deadline = time.monotonic() + 120
    while sync_state(core.db).backlog and time.monotonic() < deadline:
        try:
            worker.push_pending()
        except (OSError, CountyRefused):
            history.grow(history.head() + 15)  # the station keeps working meanwhile
    proxy.close()
    assert sync_state(core.db).backlog == 0 and proxy.counts["duplicated"]
    assert_county_has_exactly(core, (data_dir, db))
    target = db or str(data_dir / "county.db")
    store = open_store_at(target)
    incremental = store.reports().report_tables()
    store.close()
    assert incremental["report_positions"] == [(core.config.station.id, history.head())]
    assert len(incremental["report_counts"]) > 50 and incremental["report_visits"]
    assert "reports published" in county_cli(data_dir, "rebuild", database=db)
    store = open_store_at(target)
    try:
        assert store.reports().report_tables() == incremental
    finally:
        store.close()


def test_station_killed_20_times_during_sync(core, county, station_dir):
    """The station process (`kiosk serve`, whose sync thread pushes through its one writer)
    killed 20 times mid-import, mid-batch or mid-acknowledgement."""
    from kiosk.bootstrap import build_core
    data_dir, port, public = county
    proxy = FaultProxy(port, drop=0.1, duplicate=0.1, delay=0.4, seed=11)
    path = station_dir / "kiosk.toml"
    path.write_text(path.read_text() + f'\n[county]\nurl = "http://127.0.0.1:{proxy.port}"\n'
                    f'public_key = "{public}"\n')
    config = core.config
    core.close()  # from here on the writer is whoever runs: this test or the station process
    rng = random.Random(3)
    command = [sys.executable, "-m", "kiosk", "--config", str(path), "serve"]
    for kill in range(20):
        offline = build_core(config)  # the station is down: the test is the writer
        add_events(offline, 300, f"round-{kill}")
        offline.close()
        answered = sum(proxy.counts.values())
        log = station_dir / "serve.log"
        with log.open("ab") as stderr:
            proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr,
                                    stdin=subprocess.DEVNULL, env={**os.environ})
        # Counted from the county's first answer to it (a loaded machine may take seconds to
        # start Python and send a batch), so that the kill lands mid-batch or
        # mid-acknowledgement, never before the station got anywhere.
        assert wait_until(lambda n=answered, p=proc: sum(proxy.counts.values()) > n
                          or p.poll() is not None, 120)
        time.sleep(rng.uniform(0.0, 1.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    proxy.close()
    final = build_core(config)
    try:
        before = sync_state(final.db)
        assert 0 < before.acked_seq, (station_dir / "serve.log").read_text()[-3000:]  # some way
        # Network back to normal: one more worker finishes from the last kept acknowledgement.
        worker = SyncWorker(final.writer, HttpCountyLink(f"http://127.0.0.1:{port}"),
                            config.station.id, public_key_from_hex(public))
        assert worker.push_pending().backlog == 0
        acks = [r[0] for r in final.db.execute("SELECT seq FROM sync_acks ORDER BY id")]
        assert acks == sorted(acks) and acks[-1] == 6001
        assert_county_has_exactly(final, data_dir)
    finally:
        final.close()
