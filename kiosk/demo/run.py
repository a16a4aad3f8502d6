"""`kiosk demo`: the whole station on one machine with virtual cards and demo residents.

A private pcscd with the vpcd virtual reader when available (otherwise the
in-process fake reader), the capture printer, the touchscreen UI with a demo
panel at /demo (tap buttons, receipts shown as pictures), a console prompt, and
the county the station syncs to (kiosk/demo/county.py), seeded with a year of
three stations' work (kiosk/demo/seeding.py).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import sys
import threading
import time
from pathlib import Path

from kiosk.adapters.clock import SystemClock
from kiosk.config.loader import VPCD_PORT, load_config
from kiosk.demo.county import OFFICER, county_config, county_port, open_demo_county
from kiosk.demo.data import DEMO_RESIDENTS, DEMO_TECHNICIAN, demo_card, keep_if_written, panel_cards, wallet_path
from kiosk.demo.seeding import seed_everything
from kiosk.domain.model import local_date
from kiosk.errors import KioskError
from kiosk.i18n import bilingual
from kiosk.sim.vpcd import tap
from kiosk.sim.wallet import load_wallet

DESK_FAKE_READER = "Fake Desk Reader 1"  # the fake reader's desk reader, without pcscd


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "kiosk-demo"


UI_PORT, DESK_PORT = 8080, 8443  # the demo's defaults, as README.md links them


class DemoPortBusy(KioskError, OSError):
    """A port the demo was told to use (--port, --desk-port) is taken."""


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def demo_port(asked: int | None, default: int, option: str, taken: int = 0) -> tuple[int, str]:
    """The port to serve on, and a notice when the default was taken (by another program, or
    ``taken`` by the demo itself) and another one is used instead; a port asked for with
    ``option`` is used or refused, never swapped."""
    if asked is not None:
        if asked == taken or not _port_free(asked):
            raise DemoPortBusy(bilingual("Port {port} is in use; choose another with {option}",
                                         port=asked, option=option))
        return asked, ""
    if default != taken and _port_free(default):
        return default, ""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        other = probe.getsockname()[1]
    return other, bilingual("Port {port} is in use, so the demo uses port {other} instead "
                            "({option} chooses)", port=default, other=other, option=option)


class DemoControls:
    """What the demo panel and the console prompt can do: tap cards, read receipts, open the
    county signed in as the demo officer, sync now."""

    def __init__(self, capture, harness=None, reader=None, wallet=None, data_dir=None,
                 desk_url: str = "", county=None):
        self.capture, self.harness, self.reader = capture, harness, reader
        self.desk_url = desk_url  # the technician desk (its reader is the vpcd's second slot)
        self.wallet, self.data_dir = wallet or {}, data_dir
        self.cards, self.technician_pin = panel_cards(), DEMO_TECHNICIAN[3]
        self.county = county  # kiosk.demo.county.DemoCounty, served
        self.county_url = county.url + "/" if county else ""

    def county_login(self, next_path: str = "/") -> str | None:
        """A one-time link that signs the demo officer in to the county (None: no county)."""
        return self.county.login_url(next_path) if self.county else None

    def sync_now(self) -> bool:
        """Ask the station's sync to push (and pull the roster) at once."""
        if not self.data_dir:
            return False
        from kiosk.sync.worker import sync_now
        sync_now(self.data_dir)
        return True

    def tap(self, card: str, at_desk: bool = False) -> bool:
        """Tap a demo card on the kiosk reader, or with ``at_desk`` on the desk reader."""
        pulled = card == "pulled"
        try:
            virtual = demo_card("wang" if pulled else card, self.wallet)
        except ValueError:
            return False
        virtual.vanish_on_read = pulled
        if self.harness:
            threading.Thread(target=self._present, args=(card, virtual, at_desk),
                             daemon=True).start()
        elif pulled:
            self.reader.fail("removed", "demo: card pulled away")
        else:
            self.reader.tap_card(virtual, DESK_FAKE_READER if at_desk else None)
        return True

    def _present(self, name: str, virtual, at_desk: bool = False) -> None:
        """Tap through vpcd; a card the station wrote (issued) is kept for later taps."""
        before = bytes(virtual.memory)
        try:
            tap(self.harness.base_port + (1 if at_desk else 0), virtual, 1.5, linger=0.5)
        except OSError:
            return
        if self.data_dir and bytes(virtual.memory) != before:
            keep_if_written(self.data_dir, name, virtual, before)
            self.wallet.update(load_wallet(wallet_path(self.data_dir)))


def _write_config(state: Path, reader_kind: str, socket_path: str, port: int,
                  printer_port: int, ui_port: int, desk_port: int, desk_reader: str,
                  county: str = "") -> Path:
    """The demo's config: the virtual reader's first slot is the kiosk's, its second the
    technician desk's (on 127.0.0.1 only, over HTTPS); ``county`` is its [county] table."""
    path = state / "kiosk.toml"
    path.write_text(
        "# Written by `kiosk demo`.\n[station]\nid = \"demo-station\"\nname = \"示范卫生服务站\"\n"
        f"data_dir = \"{state}\"\n\n[reader]\nkind = \"{reader_kind}\"\n"
        f"pcscd_socket = \"{socket_path}\"\nvpcd_port = {port}\n\n"
        f"[reader.roles]\n\"{desk_reader}\" = \"desk\"\n\n"
        f"[desk]\nenabled = true\nhost = \"127.0.0.1\"\nport = {desk_port}\n\n"
        f"[printer]\nkind = \"network\"\nhost = \"127.0.0.1\"\nport = {printer_port}\n\n"
        f"[ui]\nport = {ui_port}\n\n[log]\nlevel = \"WARNING\"\n" + county, encoding="utf-8")
    return path


def run_demo(state_dir: Path | None, reset: bool = False, ui_port: int | None = None,
             desk_port: int | None = None) -> None:
    from kiosk.bootstrap import run_station
    from kiosk.keys import generate_key_file
    from kiosk.sim.capture_printer import CapturePrinter
    from kiosk.sim.fake_reader import FakeCardReader
    from kiosk.sim.pcscd import HarnessError, PcscdHarness

    started = time.monotonic()
    ui_port, ui_notice = demo_port(ui_port, UI_PORT, "--port")
    desk_port, desk_notice = demo_port(desk_port, DESK_PORT, "--desk-port", taken=ui_port)
    state = state_dir or default_state_dir()
    if reset and state.exists():
        shutil.rmtree(state)
    state.mkdir(parents=True, exist_ok=True)
    capture, reader = CapturePrinter(), None
    pcscd = PcscdHarness(state / "pcscd")
    harness: PcscdHarness | None = pcscd
    # pcscd runs in its own session, so a signal to the demo never reaches it: SIGTERM
    # becomes a normal exit, and the exit stops pcscd even before the try below.
    atexit.register(pcscd.stop)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    # a new station log needs a new county (the county holds the old chain of this station)
    county = open_demo_county(state, start_over=not (state / "kiosk.db").exists())
    # the county's default port, unless the kiosk's pages were given it (then any free one)
    port = county_port()
    county.serve(port if port not in (ui_port, desk_port) else county_port(0))
    county_table = county_config(county.url, county.public_key_hex)
    try:
        pcscd.start()
        config_file = _write_config(state, "pcsc", str(pcscd.socket_path), pcscd.base_port,
                                    capture.port, ui_port, desk_port, pcscd.reader_names[1],
                                    county_table)
        print(bilingual("Virtual card reader ready") + f" (pcscd + vpcd, port {pcscd.base_port})")
        if not pcscd.isolated:
            print(bilingual("Warning: without user namespaces the virtual reader's ports are "
                            "open to the local network"))
    except HarnessError as exc:
        harness, reader = None, FakeCardReader()
        config_file = _write_config(state, "fake", "", VPCD_PORT, capture.port, ui_port, desk_port,
                                    DESK_FAKE_READER, county_table)
        print(bilingual("pcscd/vpcd not available, using the built-in fake reader") + f": {exc}")
    config = load_config(config_file)
    if not config.station.key_file.exists():
        generate_key_file(config.station.key_file)
    if county.fresh:
        print(bilingual("A year of three stations' work for the demo county (first start only)"
                        "..."), flush=True)
    wallet = seed_everything(config, county, local_date(SystemClock().now(),
                                                        config.station.timezone))
    county.publish_reports()
    desk_url = f"https://127.0.0.1:{desk_port}/staff/"
    controls = DemoControls(capture, harness, reader, wallet, config.station.data_dir, desk_url,
                            county)
    stop = threading.Event()
    station = threading.Thread(target=run_station, args=(config,), daemon=True,
                               kwargs={"reader": reader, "stop": stop, "demo": controls})
    station.start()
    for notice in filter(None, (ui_notice, desk_notice)):
        print(notice)
    print(bilingual("Demo panel") + f": http://127.0.0.1:{ui_port}/demo/")
    print(bilingual("Technician desk") + f": {desk_url}")
    print(bilingual("County pages") + f": {county.url}/")
    print(bilingual("Demo officer") + f": {OFFICER} / {county.officer_password}  (" +
          bilingual("the demo panel signs in with one click") + ")")
    _wait_for_ui(ui_port, station)
    print(bilingual("Demo ready in {seconds:.1f} s", seconds=time.monotonic() - started),
          flush=True)
    try:
        _prompt_loop(config_file, controls, stop)
    finally:
        stop.set()
        station.join(timeout=5)
        county.close()
        capture.close()
        if harness:
            harness.stop()


def _wait_for_ui(port: int, station: threading.Thread, timeout: float = 60.0) -> None:
    """Until the station's UI takes connections (the panel's links work from then on)."""
    deadline = time.monotonic() + timeout
    while station.is_alive() and time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)


def _exit_on_sigterm(*_) -> None:
    raise SystemExit(0)


def _prompt_loop(config_file: Path, controls: DemoControls, stop: threading.Event) -> None:
    print(bilingual("Demo cards") + ":")
    for index, (short, name, uid, village, _born, kind) in enumerate(DEMO_RESIDENTS, start=1):
        print(f"  {index}) {short:6} {name}  {village}  UID {uid} ({kind})")
    print(f"  0) unknown  ({bilingual('a card nobody registered')})")
    print(f"     copy     ({bilingual('a copy of wang’s card on another card')})")
    print(f"     tech     ({bilingual('demo technician card, PIN')} {DEMO_TECHNICIAN[3]})")
    print(bilingual("d and a card (d tech) taps it on the desk reader.") +
          "\n" + bilingual("Type a number and Enter to tap that card; q to quit.") +
          f"\n  kiosk --config {config_file} tap wang")
    if not sys.stdin.isatty():
        stop.wait()
        return
    for line in sys.stdin:
        choice = line.strip()
        if choice in ("q", "quit", "exit"):
            return
        at_desk = choice.startswith("d ")
        if at_desk:
            choice = choice[2:].strip()
        if choice and not controls.tap(choice, at_desk):
            print(bilingual("Not a card name or UID"))
