"""A county process and real station processes (`kiosk serve --json`, kiosk/testing/station.py)
on loopback, for the tests that follow a resident from station to station (issue 24, and
issue 23's N7): each station has its own UI port, a technician with a card, and either one
of the session pcscd's two reader slots (taps through vpcd) or the fake reader. Residents are
seeded before a station starts; while it runs, its technician works through its pages
(tests/power/staff_http.py) and the test reads its database read-only.

Modules using it keep their processes for all their tests: tests/parallel.py runs each such
module on one worker, in file order."""

from __future__ import annotations

import json
import signal
import subprocess
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.bootstrap import build_core
from kiosk.config.loader import load_config
from kiosk.keys import generate_key_file
from kiosk.sim.pcscd import PcscdHarness
from kiosk.sim.virtual_card import VirtualCard
from kiosk.store.database import connect_readonly
from kiosk.testing.station import StationProcess, TapDriver, add_technician, write_station_config
from tests.county.test_county import county_cli, free_port, start_county
from tests.power.staff_http import StaffClient
from tests.waiting import wait_until

PIN = "246813"


class Station:
    def __init__(self, rig: StationsRig, name: str, slot: int | None, extra: str):
        self.rig, self.name, self.slot = rig, name, slot
        self.directory = rig.tmp / name
        harness = rig.pcscd if slot is not None else None
        self.config_path = write_station_config(
            self.directory, harness, station_id=name, ui_port=free_port(),
            extra=f'\n[county]\nurl = "{rig.url}"\npublic_key = "{rig.county_public}"\n{extra}')
        if slot is not None:  # of the harness's two readers, this station's one
            text = self.config_path.read_text()
            self.config_path.write_text(text.replace(
                f"vpcd_port = {rig.pcscd.base_port}",
                f'vpcd_port = {rig.pcscd.base_port}\nreaders = ["{rig.pcscd.reader_names[slot]}"]'))
        self.config = load_config(self.config_path)
        generate_key_file(self.config.station.key_file)
        self.tech_id, self.tech_card = add_technician(
            self.config_path, uid=bytes([0x08, 0xAA, 0xBB, 0x10 + len(rig.stations)]))
        self.process: StationProcess | None = None
        self.staff: StaffClient | None = None

    def seed(self, fn: Callable[[Any], Any]) -> Any:
        """``fn(core)`` on the station's database while it is stopped."""
        assert self.process is None, "seed before start"
        core = build_core(self.config)
        try:
            return fn(core)
        finally:
            core.close()

    def start(self) -> None:
        self.process = StationProcess(self.config_path)
        self.process.start(timeout=60)
        self.staff = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def db(self):
        return connect_readonly(self.config.station.database)

    def query(self, sql: str, args: tuple = ()) -> list[tuple]:
        db = self.db()
        try:
            return [tuple(row) for row in db.execute(sql, args).fetchall()]
        finally:
            db.conn.close()

    def sync(self, until: Callable[[], Any] | None = None, timeout: float = 45.0) -> None:
        """Wake its sync thread (push, roster pull, links, forgetting) and wait for ``until``
        (default: everything acknowledged)."""
        assert self.process is not None and self.process.proc is not None
        from kiosk.store.sync_log import sync_state

        def done() -> bool:
            if until is not None:
                return bool(until())
            db = self.db()
            try:
                return sync_state(db).backlog == 0
            finally:
                db.conn.close()
        self.process.proc.send_signal(signal.SIGUSR1)
        assert wait_until(done, timeout, every=0.3), f"{self.name} did not sync"

    def tap(self, card: VirtualCard, timeout: float = 20.0) -> dict:
        """Her card on this station's reader: the station's report of the tap."""
        assert self.slot is not None and self.process is not None
        reader = self.rig.pcscd.reader_names[self.slot]
        while self.process.next_report(0.05, reader=reader) is not None:
            pass  # an earlier report nobody read
        assert self.rig.driver().tap(self.slot, card), "the card was not read"
        report = self.process.next_report(timeout, reader=reader)
        assert report is not None, f"no report from {self.name}"
        if report.get("kind") != "card_issued":  # any other card ends a technician's session
            self.staff = None
        return report

    def screen(self) -> str:
        """The public screen as a page opened now shows it (the last tap, for a while)."""
        assert self.process is not None
        with urllib.request.urlopen(self.process.ui_url, timeout=20) as page:
            return page.read().decode()

    def technician(self) -> StaffClient:
        """Its technician logged in at its pages (her card on its reader, then the PIN)."""
        assert self.process is not None
        if self.staff is None:
            staff = StaffClient(self.process.ui_url, self.process.screen_url)
            assert staff.login(lambda: self.rig.driver().tap(self.slot, self.tech_card), PIN,
                               timeout=20), f"no technician login at {self.name}"
            self.staff = staff
        return self.staff


class StationsRig:
    """The county (SQLite in ``tmp/county``, its log in county.log) and the stations."""

    def __init__(self, tmp: Path, pcscd: PcscdHarness, county_toml: str = ""):
        self.tmp, self.pcscd = tmp, pcscd
        self.county_dir, self.port = tmp / "county", free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.county_public = county_cli(self.county_dir, "init").split(
            "public key (hex): ")[1].strip()
        if county_toml:
            (self.county_dir / "county.toml").write_text(f"[county]\n{county_toml}\n")
        self.log_path = tmp / "county.log"
        self.county: subprocess.Popen | None = None
        self.stations: dict[str, Station] = {}
        self.residents: dict[str, Any] = {}  # what a test module seeded, by name
        self._driver: TapDriver | None = None

    def add(self, name: str, slot: int | None, extra: str = "") -> Station:
        station = Station(self, name, slot, extra)
        self.stations[name] = station
        key = station.seed(lambda core: core.key.public_bytes().hex())
        county_cli(self.county_dir, "enroll", "--station", name, "--pubkey", key)
        return station

    def start_county(self) -> None:
        with self.log_path.open("ab") as log:
            self.county = start_county(self.county_dir, self.port, stderr=log)

    def stop_county(self) -> None:
        if self.county is not None:
            self.county.terminate()
            self.county.wait(10)
            self.county = None

    def driver(self) -> TapDriver:
        if self._driver is None:
            self._driver = TapDriver(self.pcscd)
        return self._driver

    def county_query(self, sql: str, args: tuple = ()) -> list[tuple]:
        db = connect_readonly(self.county_dir / "county.db")
        try:
            return [tuple(row) for row in db.execute(sql, args).fetchall()]
        finally:
            db.conn.close()

    def alerts(self) -> list[str]:
        return [line for line in self.log_path.read_text(errors="replace").splitlines()
                if "ALERT" in line]

    def close(self) -> None:
        for station in self.stations.values():
            station.stop()
        self.stop_county()
        if self._driver is not None:
            self._driver.close()


def events(station: Station, type_: str) -> list[dict]:
    return [json.loads(p) for (p,) in station.query(
        "SELECT payload FROM events WHERE type = ? ORDER BY seq", (type_,))]
