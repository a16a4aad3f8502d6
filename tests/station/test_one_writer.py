"""One writer per database (issue 14): during a run of the real station (run_station: the tap
loop, the staff pages on their server threads, the print spooler and the sync thread with its
acknowledgements and roster pages), exactly one connection writes the station's database.

The connection factory (kiosk/store/database.py) counts every connection it opens and, with
KIOSK_SQL_TRACE set, writes a line per connection and per writing statement (SQLite's own
statement trace); every other connection is read-only (mode=ro, query_only), so SQLite itself
would refuse a write on it. A console command that writes is refused while the station runs.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest

from kiosk.bootstrap import run_station
from kiosk.config.loader import load_config
from kiosk.domain.outcomes import CheckedIn, TechnicianCard
from kiosk.domain.registry import Registration
from kiosk.sim.fake_reader import FakeCardReader
from kiosk.sim.wallet import issue_virtual_card
from kiosk.store import database
from kiosk.store.database import connect_readonly
from kiosk.store.sync_log import sync_state
from tests.county.test_county import free_port
from tests.county.test_roster import county_and_stations, sync
from tests.waiting import wait_until

PIN = "246813"


class StaffBrowser:
    """The staff pages over real HTTP, with the session cookie and the page's CSRF token."""

    def __init__(self, url: str):
        self.url, self.csrf = url, ""
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> str:
        page = self.opener.open(self.url + path, timeout=20).read().decode()
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        self.csrf = found.group(1) if found else self.csrf
        return page

    def post(self, path: str, **form: str) -> str:
        body = urllib.parse.urlencode({"csrf": self.csrf, **form}).encode()
        return self.opener.open(self.url + path, data=body, timeout=20).read().decode()


@pytest.fixture
def stations(tmp_path, clock):
    yield from county_and_stations(tmp_path, clock, None)


def test_one_writing_connection_through_taps_staff_sync_and_roster(stations, tmp_path,
                                                                   monkeypatch):
    cores, paths, _county = stations
    a, b = cores["station-a"], cores["station-b"]
    # Station A registers her and pushes: station B's roster pull brings her over.
    resident = a.registry.register(Registration("王秀华", "1994-03-12", "东湾村", "13800000000",
                                                consent=True), by="tech-a")
    from_a = issue_virtual_card(a, "resident", resident.id, bytes.fromhex("04A1B2C3"), "cpu")
    sync(paths["station-a"])
    # Station B: a resident of its own and a technician, then it runs as the station process.
    own = b.registry.register(Registration("李芳", "1980-05-01", "西岭村", "", consent=True),
                              by="console")
    own_card = issue_virtual_card(b, "resident", own.id, bytes.fromhex("04D1E2F3"), "mifare")
    tech = b.staff.add("赵技术员", PIN)
    tech_card = issue_virtual_card(b, "technician", tech.id, bytes.fromhex("08AABBCC"), "cpu")
    b.close()
    ui_port = free_port()
    path = paths["station-b"]
    path.write_text(path.read_text().replace("enabled = false\nport = 8080",
                                             f"enabled = true\nport = {ui_port}"))
    config = load_config(path)
    trace = tmp_path / "sql.trace"
    monkeypatch.setenv("KIOSK_SQL_TRACE", str(trace))
    db_path = str(config.station.database.resolve())
    writers_before = database.opened[(db_path, "writer")]

    reader, reports, stop = FakeCardReader(keys=config.cards.keys), [], threading.Event()
    station = threading.Thread(target=run_station, name="station-main", kwargs=dict(
        config=config, reader=reader, on_report=reports.append, stop=stop), daemon=True)
    station.start()
    staff = StaffBrowser(f"http://127.0.0.1:{ui_port}")
    reads = None
    try:
        assert wait_until(lambda: _answers(staff), 30)
        reads = connect_readonly(config.station.database)
        # The sync thread's first round pulls the roster (A's key); her card from A then
        # checks in here, her record looked up at the county on the loop's thread (issue 24).
        assert wait_until(lambda: reads.execute("SELECT 1 FROM remote_stations WHERE "
                                                "station_id = 'station-a'").fetchone(), 60)
        for card in (own_card, from_a, own_card):  # taps (a repeat among them)
            count = len(reports)
            reader.tap_card(card)
            assert wait_until(lambda n=count: len(reports) > n, 20)
            assert isinstance(reports[-1].outcome, CheckedIn), reports[-1]
        # A console command that writes is refused while the station runs.
        refused = subprocess.run([sys.executable, "-m", "kiosk", "--config", str(path),
                                  "technician", "unblock", tech.id], capture_output=True,
                                 text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert refused.returncode == 1
        assert "站点正在运行" in refused.stderr and "The station is running" in refused.stderr
        # Staff actions on the pages' threads: log in with the card and PIN, register, sync now.
        count = len(reports)
        reader.tap_card(tech_card)
        assert wait_until(lambda: len(reports) > count, 20)
        assert isinstance(reports[-1].outcome, TechnicianCard)
        ticket, csrf = reports[-1].login
        staff.csrf = csrf
        staff.post("/staff/login", ticket=ticket, pin=PIN)
        staff.get("/staff/")
        staff.post("/staff/residents/new", name="张伟", birth_date="1975-01-02", village="东湾村",
                   phone="", consent="health-data-consent-v1")
        staff.get("/staff/")
        staff.post("/staff/sync-now")
        # The acknowledgements come back through the station's writer: nothing left to send.
        assert wait_until(lambda: sync_state(reads).backlog == 0
                          and sync_state(reads).head_seq > 10, 60), sync_state(reads)
        assert reads.execute("SELECT COUNT(*) FROM print_jobs WHERE status != 'pending'"
                             ).fetchone()[0] >= 2  # the spooler marked the receipts
    finally:
        if reads is not None:
            reads.conn.close()
        stop.set()
        station.join(30)
    assert not station.is_alive()

    assert database.opened[(db_path, "writer")] - writers_before == 1
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    mine = [r for r in records if r.get("open", r.get("write")) == db_path]
    opened = {r["conn"]: r["mode"] for r in mine if "open" in r}
    assert list(opened.values()).count("writer") == 1, opened
    assert len(opened) > 5  # the pages, the spooler, sync and the watchers read on their own
    assert set(opened.values()) == {"writer", "readonly"}
    writing = {r["conn"] for r in mine if "write" in r}
    assert writing == {c for c, mode in opened.items() if mode == "writer"}
    threads = {r["thread"] for r in mine if "write" in r}
    assert {"station-main", "sync", "print-spooler"} <= threads, threads  # all through the one
    assert any(t not in ("station-main", "sync", "print-spooler") for t in threads)  # pages too


def _answers(staff: StaffBrowser) -> bool:
    try:
        staff.get("/healthz")
        return True
    except OSError:
        return False


@pytest.mark.pcsc
def test_the_station_process_writes_through_one_connection(pcscd_running, tmp_path):
    """The same in a real `kiosk serve --json` (kiosk/testing/station.py) with taps on both
    readers through pcscd, watched through the factory's trace from outside the process."""
    from kiosk.keys import generate_key_file
    from kiosk.testing.station import StationProcess, TapDriver, seed_residents, write_station_config
    from tests.pcsc.test_pcsc_end_to_end import tap_all
    config_path = write_station_config(tmp_path / "st", pcscd_running)
    config = load_config(config_path)
    generate_key_file(config.station.key_file)
    cards = seed_residents(config_path, 6)
    trace = tmp_path / "sql.trace"
    station = StationProcess(config_path, env={"KIOSK_SQL_TRACE": str(trace)})
    driver = TapDriver(pcscd_running)
    station.start()
    try:
        reports = tap_all(driver, station, cards * 2)
    finally:
        driver.close()
        pid = station.proc.pid if station.proc else 0
        station.stop()
    assert sum(1 for _, r in reports if r and r.get("kind") == "checked_in") >= 6, reports
    db_path = str(config.station.database.resolve())
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    mine = [r for r in records if r.get("open", r.get("write")) == db_path and r["pid"] == pid]
    opened = {r["conn"]: r["mode"] for r in mine if "open" in r}
    assert list(opened.values()).count("writer") == 1, opened
    assert {r["conn"] for r in mine if "write" in r} == {
        c for c, mode in opened.items() if mode == "writer"}
