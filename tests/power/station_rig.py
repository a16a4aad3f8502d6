"""A station whose data directory is on the power-cut file system, a county on loopback, and
power cuts at random moments: shared by tests/power/test_station_power_cuts.py and
bench/power_cuts.py.

The station is driven as a black box, as its systemd unit runs it: one real `kiosk serve
--json` process (taps through pcscd and vpcd) whose config names the county, so it syncs in
its own thread through its one database writer; SIGUSR1 wakes that thread ("sync now"), as
`systemctl reload kiosk` does. Setup that writes (residents, the technician, the first push)
runs before the station starts, each on its own core closed again. A cut freezes the file
system, SIGKILLs the station and the file system, and mounts again from what was synced.
Checks run in this process on a copy of the data directory as the cut left it (while the
station boots again), so the restarted station recovers its own WAL.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.config.loader import load_config
from kiosk.keys import generate_key_file, public_key_from_hex
from kiosk.ops.verify import verify_database
from kiosk.testing.power import PowerCutFS
from kiosk.testing.station import StationProcess, TapDriver, add_technician, seed_residents, write_station_config
from tests.county.test_county import county_cli, free_port, start_county
from tests.power.staff_http import StaffClient


@dataclass
class Figures:
    power_cuts: int = 0
    torn_cuts: int = 0
    reported: int = 0
    reported_lost: int = 0
    acked: int = 0
    acked_lost: int = 0
    staff_actions: int = 0
    pcscd_restarts: int = 0
    staff_lost: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=lambda: {"boot": 0.0, "work": 0.0, "cut": 0.0})

    def lines(self) -> list[str]:
        return [f"figure: power_cuts = {self.power_cuts}", f"figure: torn_cuts = {self.torn_cuts}",
                f"figure: reported_checkins = {self.reported}",
                f"figure: reported_lost = {self.reported_lost}",
                f"figure: acked_events = {self.acked}", f"figure: acked_lost = {self.acked_lost}",
                f"figure: staff_actions = {self.staff_actions}", f"figure: staff_lost = {self.staff_lost}",
                f"figure: pcscd_restarts = {self.pcscd_restarts}",
                *(f"figure: power_cut_{phase}_mean_s = {total / max(1, self.power_cuts):.2f} s"
                  for phase, total in self.seconds.items())]


def bytecode_env(root: Path) -> dict[str, str]:
    """The environment of the rig's child processes. Under PYTHONDONTWRITEBYTECODE every
    `kiosk serve` and file-system process compiled its modules again (about a third of a
    boot's CPU); they share a bytecode cache under ``root`` instead, off the cut file system."""
    if not os.environ.get("PYTHONDONTWRITEBYTECODE"):
        return {}
    return {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(root / "pycache")}


def ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


class StationPowerRig:
    def __init__(self, root: Path, harness, residents: int):
        self.root, self.harness = Path(root), harness
        self.env = bytecode_env(self.root)
        self.fs = PowerCutFS(self.root / "lazyfs", env=self.env)
        self.data = self.fs.mountpoint / "kiosk"
        self.county_dir = self.root / "county"
        self.figures = Figures()
        self.fs.mount()
        self.data.mkdir()
        self.county_public = county_cli(self.county_dir, "init").split("public key (hex): ")[1].strip()
        self.county_port = free_port()
        county = (f'\n[county]\nurl = "http://127.0.0.1:{self.county_port}"\n'
                  f'public_key = "{self.county_public}"\n')
        config = write_station_config(self.root / "etc", harness, data_dir=self.data, extra=county)
        # the staff pages only in the cycles that use them: the UI costs the boot about 0.5 s
        self.ui_config = write_station_config(self.root / "etc-ui", harness, data_dir=self.data,
                                              ui_port=free_port(), extra=county)
        self.config_path, self.config = config, load_config(config)
        key = generate_key_file(self.config.station.key_file)
        county_cli(self.county_dir, "enroll", "--station", self.config.station.id,
                   "--pubkey", key.public_bytes().hex())
        # the writes of the installation, with the station stopped (each closes its core)
        self.cards = seed_residents(config, residents)
        _, self.tech_card = add_technician(config)
        self.registered: list[str] = []  # residents the staff pages confirmed
        self.county = start_county(self.county_dir, self.county_port)
        subprocess.run([sys.executable, "-m", "kiosk", "--config", str(config), "sync", "--once"],
                       check=True, capture_output=True, env={**os.environ, **self.env})
        # (the station is stopped: that push runs on the command's own writer)
        self.fs.sync_all()  # the installed station, shut down cleanly once
        self.station = StationProcess(config, env=self.env)
        self.driver = TapDriver(harness)
        self.next_card = 0
        self.checking: threading.Thread | None = None

    def start(self, ui: bool = False) -> None:
        """The station (with its staff pages if ``ui``); its sync thread starts with it."""
        self.station.config = self.ui_config if ui else self.config_path
        self.station.start()

    def wake_sync(self) -> None:
        """"Sync now": SIGUSR1 to `kiosk serve`. Its handler is in place before it says
        ready (start() waits for that), so the signal's default action never ends it."""
        if self.station.proc is not None and self.station.proc.poll() is None:
            self.station.proc.send_signal(signal.SIGUSR1)

    def tap_some(self, rng, taps: int, cut_after_read: bool) -> None:
        """Residents tap one after another (mostly new ones, sometimes a repeat); with
        ``cut_after_read`` the last tap is left mid-commit for the cut."""
        for n in range(taps):
            if self.next_card < len(self.cards) and rng.random() < 0.85:
                card, self.next_card = self.cards[self.next_card], self.next_card + 1
            else:
                card = rng.choice(self.cards[:max(1, self.next_card)])
            slot = rng.randrange(2)
            self.place(slot, card)
            if n == taps - 1 and cut_after_read:
                self.driver.slots[slot].uid_read.wait(2)
                time.sleep(rng.uniform(0, 0.03))
                return
            self.station.next_report(3.0, reader=self.harness.reader_names[slot])
            self.driver.remove(slot)  # and pcscd saw it go: a resident walks away
            if rng.random() < 0.4:
                self.wake_sync()

    def place(self, slot: int, card) -> None:
        """Put a card on a reader. The private pcscd, with hundreds of its clients SIGKILLed,
        once stopped taking cards on a slot (its relay's port refused for 5 s): that is no
        durability finding, so pcscd is started again, counted, and the tap goes on."""
        try:
            self.driver.place(slot, card.same_card())
        except OSError:
            alive = self.harness.proc is not None and self.harness.proc.poll() is None
            self.figures.pcscd_restarts += 1
            print(f"pcscd restarted (it was {'running' if alive else 'gone'})", file=sys.stderr)
            self.harness.stop()
            self.harness.start()
            self.driver = TapDriver(self.harness)
            self.driver.place(slot, card.same_card())

    def staff_work(self, rng, cut_midway: bool) -> None:
        """A technician logs in (card and PIN) and registers residents; with ``cut_midway``
        the last registration is still in flight when the power goes."""
        client = StaffClient(self.station.ui_url, self.station.screen_url)
        card = self.tech_card
        if not client.login(lambda: self.place(0, card), "246813"):
            self.figures.problems.append(f"after cut {self.figures.power_cuts}: staff login failed")
            return
        self.driver.remove(0)
        for n in range(rng.randint(1, 2)):
            name = f"登记{self.figures.power_cuts}-{n}"
            if cut_midway and n:
                threading.Thread(target=self._register_quietly, args=(client, name), daemon=True).start()
                time.sleep(rng.uniform(0, 0.05))
                return
            self.registered.append(client.register(name))

    def _register_quietly(self, client: StaffClient, name: str) -> None:
        try:
            self.registered.append(client.register(name))
        except (OSError, RuntimeError):
            pass  # cut before the answer: not confirmed, so not counted

    def cut(self, rng) -> None:
        self.join_check()
        torn = rng.random() < 0.5
        self.fs.cut([self.station.proc], torn_seed=rng.randrange(1 << 30) if torn else None)
        self.station.drain()
        for slot in range(2):
            if self.driver.slots[slot].occupied:
                self.driver.remove(slot)
        self.figures.power_cuts += 1
        self.figures.torn_cuts += torn
        self.fs.mount()
        snap = self.root / "snapshot"
        shutil.rmtree(snap, ignore_errors=True)
        snap.mkdir()
        for name in ("kiosk.db", "kiosk.db-wal", "station.key"):
            if (self.data / name).exists():
                shutil.copy(self.data / name, snap / name)  # with its mode (the key is 0600)
        # What the county acknowledged, read now, while the station is down: read later (in the
        # check, while the station boots again) it held events the station made after the cut,
        # which the snapshot cannot have, and a run reported them "gone" (cut 79 of one CI run).
        county = ro(self.county_dir / "county.db")
        try:
            acked = county.execute("SELECT seq, hash FROM events WHERE station_id = ?",
                                   (self.config.station.id,)).fetchall()
        finally:
            county.close()
        # checked while the station boots again; the next cut waits for the check
        self.checking = threading.Thread(target=self.check, args=(
            snap, list(self.station.all_reports), list(self.registered), acked))
        self.checking.start()

    def check(self, snap: Path, reports: list[dict], registered: list[str],
              acked: list[tuple[int, str]]) -> None:
        """The data directory as the cut left it, checked on a copy (the station recovers
        the original itself when it starts), against the events the county had acknowledged
        (seq, hash) by the time of the cut."""
        fig, cut = self.figures, self.figures.power_cuts
        db = sqlite3.connect(snap / "kiosk.db")
        try:
            if (integrity := db.execute("PRAGMA integrity_check").fetchone()[0]) != "ok":
                fig.problems.append(f"cut {cut}: integrity_check {integrity}")
            stored = {r[0]: tuple(r[1:]) for r in db.execute(
                "SELECT id, resident_id, local_date, queue_no FROM checkins")}
            reported = [r for r in reports if r.get("kind") == "checked_in"
                        and not r.get("repeat")]
            fig.reported = len(reported)
            lost = [r for r in reported if stored.get(r["checkin_id"]) !=
                    (r["resident_id"], r["local_date"], r["queue_no"])]
            fig.reported_lost = len(lost)
            fig.problems += [f"cut {cut}: reported check-in lost {r}" for r in lost[:3]]
            doubles = db.execute("SELECT local_date, queue_no FROM checkins GROUP BY 1, 2 "
                                 "HAVING count(*) > 1").fetchall()
            fig.problems += [f"cut {cut}: queue number twice {d}" for d in doubles]
            mine = dict(db.execute("SELECT seq, hash FROM events"))
            residents = {r[0] for r in db.execute("SELECT id FROM residents")}
            fig.staff_actions = len(registered)
            fig.staff_lost = len([r for r in registered if r not in residents])
            fig.problems += [f"cut {cut}: registered resident lost {r}"
                             for r in registered if r not in residents][:3]
        finally:
            db.close()
        fig.acked = len(acked)
        gone = [seq for seq, digest in acked if mine.get(seq) != digest]
        fig.acked_lost = len(gone)
        if gone:
            fig.problems.append(f"cut {cut}: events the county acknowledged are gone: {gone[:5]}")
        report = verify_database(snap / "kiosk.db", snap / "station.key", self.config.station.id,
                                 public_key_from_hex(self.county_public))
        fig.problems += [f"cut {cut}: verify-log {p}" for p in report.problems[:3]]

    def join_check(self) -> None:
        if self.checking is not None:
            self.checking.join()
            self.checking = None

    def close(self) -> None:
        self.join_check()
        for proc in (self.station.proc, self.county):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
        self.driver.close()
        self.fs.unmount()


def run_power_cuts(root: Path, harness, cuts: int, seed: int = 14, progress=None) -> Figures:
    """``cuts`` power cuts of a station at work; the figures, problems included."""
    import random
    rng = random.Random(seed)
    rig = StationPowerRig(root, harness, residents=2 * cuts + 40)
    cpu = cpu_seconds()
    try:
        seconds = rig.figures.seconds
        for n in range(cuts):
            staff = rng.random() < 0.2
            started = time.monotonic()
            rig.start(ui=staff)
            booted = time.monotonic()
            if staff:
                rig.staff_work(rng, cut_midway=rng.random() < 0.5)
            else:
                rig.tap_some(rng, rng.choice((1, 1, 2, 3)), cut_after_read=rng.random() < 0.5)
            if rng.random() < 0.2:
                time.sleep(rng.uniform(0, 0.5))  # now and then mid-sync instead
            worked = time.monotonic()
            rig.cut(rng)
            seconds["boot"] += booted - started
            seconds["work"] += worked - booted
            seconds["cut"] += time.monotonic() - worked
            if progress:
                progress(n + 1, rig.figures)
        rig.join_check()
    finally:
        rig.close()
    # this process and the stations, file systems and county it waited for: a figure that
    # does not depend on how loaded the machine is, as the phases' wall clock does
    rig.figures.seconds["cpu"] = cpu_seconds() - cpu
    return rig.figures


def cpu_seconds() -> float:
    used = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in used)

