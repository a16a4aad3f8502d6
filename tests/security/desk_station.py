"""A real station process with the desk (HTTPS) and the touchscreen on and a desk reader, for
the findings that load it from the LAN (N2 log spam, N4 idle connections): what a tap costs
it, its threads and memory, and requests to its desk from any loopback address (127.0.0.2 and
up stand for other machines on the LAN: the station counts only 127.0.0.1 and ::1 as itself).
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import ssl
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kiosk.adapters.desk_tls import CERT_NAME
from kiosk.config.loader import load_config
from kiosk.keys import generate_key_file
from kiosk.sim.pcscd import PcscdHarness
from kiosk.sim.virtual_card import VirtualCard
from kiosk.testing.station import StationProcess, TapDriver, add_technician, seed_residents, write_station_config

PIN = "246813"
KIOSK_SLOT, DESK_SLOT = 0, 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class DeskStation:
    station: StationProcess
    driver: TapDriver
    directory: Path
    desk_port: int
    ui_port: int
    tech_card: VirtualCard
    cards: list[VirtualCard]  # residents' cards, each checked in once at most
    used: int = 0

    @property
    def pid(self) -> int:
        assert self.station.proc is not None
        return self.station.proc.pid

    def threads(self) -> int:
        status = Path(f"/proc/{self.pid}/status").read_text()
        return int(re.search(r"^Threads:\s+(\d+)", status, re.M).group(1))  # type: ignore[union-attr]

    def context(self) -> ssl.SSLContext:
        """A desk PC's browser: it trusts the station's certificate."""
        return ssl.create_default_context(cafile=str(self.directory / CERT_NAME))

    def tap_ms(self, taps: int = 5) -> float:
        """The median time the station took from detecting a card to committing its check-in,
        over ``taps`` residents' first taps at the kiosk."""
        times = []
        reader = self.driver.harness.reader_names[KIOSK_SLOT]
        for _ in range(taps):
            card = self.cards[self.used]
            self.used += 1
            self.driver.place(KIOSK_SLOT, card.copy_to(card.uid))
            report = self.station.next_report(10, reader=reader)
            self.driver.remove(KIOSK_SLOT)
            assert report and report["kind"] == "checked_in", report
            times.append(report["detect_to_commit_ms"])
        return statistics.median(times)

    def desk(self, method: str, path: str, body: str = "", source: str = "127.0.0.1",
             cookie: str = "") -> http.client.HTTPResponse:
        """One HTTPS request to the desk from ``source``; the response, read."""
        conn = http.client.HTTPSConnection("127.0.0.1", self.desk_port, timeout=20,
                                           context=self.context(), source_address=(source, 0))
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        if cookie:
            headers["Cookie"] = cookie
        conn.request(method, path, body=body or None, headers=headers)
        response = conn.getresponse()
        response.data = response.read()  # type: ignore[attr-defined]
        conn.close()
        return response

    def desk_login(self, source: str = "127.0.0.1") -> http.client.HTTPResponse:
        """Open the login page, tap her card on the desk reader, type the PIN."""
        import json
        from urllib.parse import urlencode
        page = self.desk("GET", "/staff/desk/login", source=source).data.decode()  # type: ignore[attr-defined]
        wait = page.split('data-wait="', 1)[1].split('"', 1)[0]
        self.driver.place(DESK_SLOT, self.tech_card.copy_to(self.tech_card.uid))
        state: dict = {}
        deadline = time.monotonic() + 10
        while state.get("state") != "chosen" and time.monotonic() < deadline:
            answer = self.desk("GET", f"/staff/desk/login/{wait}", source=source)
            state = json.loads(answer.data)  # type: ignore[attr-defined]
            time.sleep(0.1)
        self.driver.remove(DESK_SLOT)
        assert state.get("state") == "chosen", state
        return self.desk("POST", "/staff/desk/login", urlencode(
            {"ticket": state["ticket"], "csrf": state["csrf"], "pin": PIN}), source=source)


@contextlib.contextmanager
def desk_station(pcscd: PcscdHarness, directory: Path, residents: int = 12
                 ) -> Iterator[DeskStation]:
    desk_port, ui_port = free_port(), free_port()
    config_path = write_station_config(directory, pcscd, ui_port=ui_port, extra=(
        f'\n[reader.roles]\n"{pcscd.reader_names[DESK_SLOT]}" = "desk"\n'
        f'\n[desk]\nenabled = true\nhost = "127.0.0.1"\nport = {desk_port}\n'))
    generate_key_file(load_config(config_path).station.key_file)
    cards = seed_residents(config_path, residents)
    _, tech_card = add_technician(config_path, "赵技术员", PIN, bytes.fromhex("08AABBCC"), "cpu")
    station = StationProcess(config_path)
    station.start()
    driver = TapDriver(pcscd)
    try:
        yield DeskStation(station, driver, directory, desk_port, ui_port, tech_card, cards)
    finally:
        driver.close()
        station.stop()
