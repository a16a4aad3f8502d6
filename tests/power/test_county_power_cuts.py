"""Power cuts of the county's SQLite store while a station syncs through a rural network.

A real `kiosk-county serve` process keeps its data directory on kiosk.testing.lazyfs; the
station pushes through the fault proxy of tests/county/test_sync_faults.py (dropped requests,
lost answers, duplicates, delays) while the county's power is cut at random moments (half
of the cuts tear the last unsynced write of each file). After every cut: integrity_check ok,
and every event up to each acknowledgement the county gave out is in its store, unchanged.
At the end the county holds exactly the station's log (one cut for every four of
`--power-cuts`: 50 in the suite).
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import threading
import time

import pytest

from kiosk.adapters.county import HttpCountyLink
from kiosk.keys import public_key_from_hex
from kiosk.ports import CountyRefused
from kiosk.store.sync_log import sync_state
from kiosk.sync.worker import SyncWorker
from kiosk.testing.power import PowerCutFS
from tests.county.fault_proxy import FaultProxy
from tests.county.test_county import county_cli, free_port, start_county
from tests.county.test_sync_faults import add_events, assert_county_has_exactly

pytestmark = pytest.mark.slow


class RecordingLink:
    """The HTTP link, keeping every acknowledgement the county gave out."""

    def __init__(self, link: HttpCountyLink):
        self.link, self.acks = link, []

    def push(self, station_id, events, head=None):
        ack = self.link.push(station_id, events, head)
        self.acks.append(ack)
        return ack

    def roster(self, station_id, after, signer):
        return self.link.roster(station_id, after, signer)


def county_problems(county_db, station_db, station_id: str, acked: int, cut: int
                    ) -> tuple[list[str], int]:
    """(problems, how many acknowledged events the county lost)."""
    county = sqlite3.connect(county_db)
    try:
        integrity = county.execute("PRAGMA integrity_check").fetchone()[0]
        stored = dict(county.execute("SELECT seq, hash FROM events WHERE station_id = ? AND seq <= ?",
                                     (station_id, acked)))
    finally:
        county.close()
    station = sqlite3.connect(f"file:{station_db}?mode=ro", uri=True)
    try:
        mine = dict(station.execute("SELECT seq, hash FROM events WHERE seq <= ?", (acked,)))
    finally:
        station.close()
    problems = [] if integrity == "ok" else [f"cut {cut}: integrity_check {integrity}"]
    missing = [seq for seq in range(1, acked + 1) if stored.get(seq) != mine.get(seq)]
    if missing:
        problems.append(f"cut {cut}: acknowledged events missing at the county: {missing[:5]}")
    return problems, len(missing)


@pytest.mark.timeout(900)
def test_county_power_cuts_keep_every_acknowledged_batch(core, tmp_path, request):
    cuts = max(2, request.config.getoption("--power-cuts") // 4)
    fs = PowerCutFS(tmp_path / "lazyfs")
    data_dir = fs.mount() / "county"
    public = county_cli(data_dir, "init").split("public key (hex): ")[1].strip()
    station_id = core.config.station.id
    county_cli(data_dir, "enroll", "--station", station_id, "--pubkey", core.key.public_bytes().hex())
    fs.sync_all()
    port = free_port()
    county = [start_county(data_dir, port)]
    try:
        add_events(core, 1000, "before")
        proxy = FaultProxy(port, drop=0.1, drop_answer=0.1, duplicate=0.1, delay=0.1, seed=14)
        link = RecordingLink(HttpCountyLink(f"http://127.0.0.1:{proxy.port}", timeout=10))
        worker = SyncWorker(core.writer, link, station_id, public_key_from_hex(public), batch_events=40)
        rng, problems, done = random.Random(14), [], threading.Event()
        figures = {"power_cuts": 0, "acked_seq": 0, "acked_lost": 0}

        def cutter() -> None:
            try:
                while figures["power_cuts"] < cuts:
                    time.sleep(rng.uniform(0.2, 1.2))
                    torn = rng.random() < 0.5
                    fs.cut(county, torn_seed=rng.randrange(1 << 30) if torn else None)
                    acked = max((a.seq for a in link.acks), default=0)  # given out before the cut
                    figures["power_cuts"] += 1
                    figures["acked_seq"] = acked
                    fs.mount()
                    snap = tmp_path / "snapshot"
                    shutil.rmtree(snap, ignore_errors=True)
                    snap.mkdir()
                    for name in ("county.db", "county.db-wal"):
                        if (data_dir / name).exists():
                            shutil.copyfile(data_dir / name, snap / name)
                    found, lost = county_problems(snap / "county.db", core.config.station.database,
                                                  station_id, acked, figures["power_cuts"])
                    problems.extend(found)
                    figures["acked_lost"] += lost
                    county[0] = start_county(data_dir, port)
            finally:
                done.set()

        chaos = threading.Thread(target=cutter)
        chaos.start()
        try:
            while not done.is_set() or sync_state(core.db).backlog:
                try:
                    worker.push_pending()
                except (OSError, CountyRefused):
                    time.sleep(0.05)
                if not done.is_set() and sync_state(core.db).backlog < 200:
                    add_events(core, 300, "during")  # the station keeps working meanwhile
        finally:
            done.wait()
            chaos.join()
            proxy.close()
        for line in (f"figure: county_power_cuts = {figures['power_cuts']}",
                     f"figure: county_acked_seq = {figures['acked_seq']}",
                     f"figure: county_acked_lost = {figures['acked_lost']}"):
            print(line)
        assert problems == []
        assert figures["power_cuts"] == cuts and figures["acked_seq"] > 0
        assert_county_has_exactly(core, (data_dir, None))
    finally:
        county[0].kill()
        county[0].wait()
        fs.unmount()
