"""Drive a real station process through a real pcscd: shared by tests and bench/.

``StationProcess`` runs ``kiosk serve --json`` and collects its per-tap
reports; ``TapDriver`` places virtual cards on the vpcd slots and waits for
pcscd to see them leave, as a resident would tap and walk away.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

from kiosk.sim.pcscd import PcscdHarness, stop_process
from kiosk.sim.virtual_card import VirtualCard
from kiosk.sim.vpcd import VirtualCardSlot


def write_station_config(directory: Path, harness: PcscdHarness | None, station_id: str = "test-station",
                         extra: str = "", ui_port: int = 0, idle_seconds: int = 20,
                         data_dir: Path | None = None) -> Path:
    """A station config in ``directory``, its data there too unless ``data_dir`` is given;
    the UI is off unless ``ui_port`` is given (tests run many stations)."""
    directory.mkdir(parents=True, exist_ok=True)
    reader = (f'kind = "pcsc"\npcscd_socket = "{harness.socket_path}"\nvpcd_port = {harness.base_port}'
              if harness else 'kind = "fake"')
    path = directory / "kiosk.toml"
    path.write_text(f'[station]\nid = "{station_id}"\nname = "测试站"\ndata_dir = "{data_dir or directory}"\n\n'
                    f"[reader]\n{reader}\n\n[log]\nlevel = \"INFO\"\n\n"
                    f"[ui]\nenabled = {'true' if ui_port else 'false'}\nport = {ui_port or 8080}\n"
                    f"idle_seconds = {idle_seconds}\n"
                    f"{extra}", encoding="utf-8")
    return path


def seed_residents(config_path: Path, count: int, kinds: tuple[str, ...] = ("mifare", "cpu")
                   ) -> list[VirtualCard]:
    """Register ``count`` consenting residents and issue each a signed card (4-, 7- and
    10-byte UIDs, MIFARE and CPU cards in turn); return the cards."""
    from kiosk.bootstrap import build_core
    from kiosk.config.loader import load_config
    from kiosk.domain.model import Resident
    from kiosk.sim.wallet import issue_virtual_card
    core = build_core(load_config(config_path))
    with core.uow() as uow:
        for n in range(count):
            uow.residents.add(Resident(f"res-{n:03d}", f"测试居民{n}", "1990-01-01", "测试村",
                                       consent_version="health-data-consent-v1"))
            uow.record("resident.registered", {"resident_id": f"res-{n:03d}"})
        uow.commit()
    cards = []
    for n in range(count):
        length = (4, 7, 10)[n % 3]
        uid = bytes([0x04]) + n.to_bytes(2, "big") + bytes(range(1, length - 2))
        cards.append(issue_virtual_card(core, "resident", f"res-{n:03d}", uid,
                                        kinds[n % len(kinds)]))
    core.close()
    return cards


def add_technician(config_path: Path, name: str = "测试技术员", pin: str = "246813",
                   uid: bytes = bytes.fromhex("08AABBCC"), kind: str = "cpu"
                   ) -> tuple[str, VirtualCard]:
    """A technician with a PIN and a signed technician card: (technician id, card)."""
    from kiosk.bootstrap import build_core
    from kiosk.config.loader import load_config
    from kiosk.sim.wallet import issue_virtual_card
    core = build_core(load_config(config_path))
    tech = core.staff.add(name, pin)
    card = issue_virtual_card(core, "technician", tech.id, uid, kind)
    core.close()
    return tech.id, card


class StationProcess:
    """`python -m kiosk serve --json` as a child process, with its reports in queues."""

    def __init__(self, config: Path, env: dict[str, str] | None = None):
        self.config, self.env = config, env or {}
        self.proc: subprocess.Popen | None = None
        self.reports: queue.Queue[dict] = queue.Queue()
        self.by_reader: dict[str, queue.Queue[dict]] = {}
        self.all_reports: list[dict] = []
        self.statuses: list[dict] = []
        self.ui_url = ""
        self.screen_url = ""  # ui_url with the launch token: the kiosk's own screen
        self.desk_url, self.desk_fingerprint = "", ""  # the technician desk (HTTPS), if on
        self.ready = threading.Event()
        self.stderr_path = Path(config).parent / "station.stderr"
        self.pump: threading.Thread | None = None

    def start(self, timeout: float = 30.0) -> None:
        self.ready.clear()
        stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "--config", str(self.config), "serve", "--json"],
            stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL,
            env={**os.environ, **self.env}, text=True, bufsize=1)
        stderr.close()
        self.pump = threading.Thread(target=self._pump, args=(self.proc,), daemon=True)
        self.pump.start()
        if not self.ready.wait(timeout):
            raise RuntimeError(f"station did not start; see {self.stderr_path}")

    def _pump(self, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None  # started with stdout=PIPE
        for line in proc.stdout:
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if data.get("kind") == "ready":
                self.ready.set()
                continue
            if data.get("kind") == "reader_status":
                self.statuses.append(data)
                continue
            if data.get("kind") == "ui":
                self.ui_url, self.screen_url = data["url"], data.get("screen_url", data["url"])
                continue
            if data.get("kind") == "desk":
                self.desk_url, self.desk_fingerprint = data["url"], data["fingerprint"]
                continue
            self.all_reports.append(data)
            self.reports.put(data)
            self.reader_queue(data.get("reader", "")).put(data)

    def reader_queue(self, reader: str) -> queue.Queue:
        return self.by_reader.setdefault(reader, queue.Queue())

    def next_report(self, timeout: float, reader: str | None = None) -> dict | None:
        try:
            return (self.reader_queue(reader) if reader else self.reports).get(timeout=timeout)
        except queue.Empty:
            return None

    def drain(self, timeout: float = 10.0) -> None:
        """After the process died: wait until every line it printed is in the reports."""
        if self.pump is not None:
            self.pump.join(timeout)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> int | None:
        stop_process(self.proc, timeout=10)
        return self.proc.returncode if self.proc else None

    def peak_rss_mb(self) -> float:
        return self._status_mb("VmHWM:")

    def rss_mb(self) -> float:
        return self._status_mb("VmRSS:")

    def _status_mb(self, field: str) -> float:
        assert self.proc is not None, "start() first"
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        line = next(l for l in status.splitlines() if l.startswith(field))
        return int(line.split()[1]) / 1024


class TapDriver:
    """Taps virtual cards on the harness's slots and waits until pcscd has seen them go."""

    def __init__(self, harness: PcscdHarness):
        from smartcard import scard  # the test process is a PC/SC client too
        self.sc, self.harness = scard, harness
        self.slots = [VirtualCardSlot(port) for port in harness.slot_ports]
        hr, self.ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hr != 0:
            raise RuntimeError(f"cannot reach pcscd: {scard.SCardGetErrorMessage(hr)}")

    def wait_state(self, slot: int, present: bool, timeout: float = 3.0) -> bool:
        """Block until pcscd reports the slot's reader with or without a card."""
        sc, name = self.sc, self.harness.reader_names[slot]
        deadline = time.monotonic() + timeout
        state = sc.SCARD_STATE_UNAWARE
        while time.monotonic() < deadline:
            hr, result = sc.SCardGetStatusChange(self.ctx, 200, [(name, state)])
            if hr == 0:
                state = result[0][1] & ~sc.SCARD_STATE_CHANGED
                if bool(state & sc.SCARD_STATE_PRESENT) == present:
                    return True
        return False

    def place(self, slot: int, card: VirtualCard) -> None:
        self.slots[slot].place(card)

    def remove(self, slot: int, wait: bool = True) -> None:
        self.slots[slot].remove()
        if wait:
            self.wait_state(slot, present=False)

    def tap(self, slot: int, card: VirtualCard, until_read: float = 3.0) -> bool:
        """Place, wait for the UID read (or time out), remove and wait for pcscd to notice."""
        self.place(slot, card)
        read = self.slots[slot].uid_read.wait(until_read)
        self.remove(slot)
        return read

    def close(self) -> None:
        for slot in self.slots:
            slot.remove()
        self.sc.SCardReleaseContext(self.ctx)
