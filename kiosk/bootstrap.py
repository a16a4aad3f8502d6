"""The composition root: the one place that turns a Config into a running station.

Nothing is built at import time; every adapter is chosen here from the config.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass

from sqlite_utils import Database

import kiosk
from kiosk.adapters.clock import SystemClock
from kiosk.config.loader import Config
from kiosk.config.care_plans import load_plans
from kiosk.domain.card_desk import CardDesk
from kiosk.domain.care import CareService
from kiosk.domain.checkin import CheckInService
from kiosk.domain.registry import ResidentRegistry
from kiosk.domain.staff import StaffService
from kiosk.domain.unit_of_work import Clock, EventFactory
from kiosk.errors import KeyFileError
from kiosk.keys import StationKey, load_key_file, make_verifier, public_key_from_hex
from kiosk.ports import CardReader, Printer, Signals
from kiosk.store.database import open_database
from kiosk.store.sqlite import SqliteUnitOfWork

log = logging.getLogger(__name__)


@dataclass
class Core:
    """Database, key and services: everything but the hardware."""

    config: Config
    db: Database
    key: StationKey
    clock: Clock
    events: EventFactory
    checkins: CheckInService
    desk: CardDesk
    staff: StaffService
    registry: ResidentRegistry
    care: CareService

    lock: threading.RLock

    def uow(self) -> SqliteUnitOfWork:
        return SqliteUnitOfWork(self.db, self.events, self.lock)


def build_core(config: Config, clock: Clock | None = None) -> Core:
    key = load_key_file(config.key_file)
    clock = clock or SystemClock()
    db = open_database(config.database)
    events = EventFactory(config.station_id, key, clock)

    lock = threading.RLock()

    def uow() -> SqliteUnitOfWork:
        return SqliteUnitOfWork(db, events, lock)

    trusted = {sid: public_key_from_hex(h) for sid, h in config.trusted_issuers.items()}
    trusted[config.station_id] = key.public
    from kiosk.sync.roster_pull import remote_key_lookup
    desk = CardDesk(uow, clock, config.station_id, key,
                    make_verifier(trusted, remote_key_lookup(db)), config.legacy_uid_only)
    checkins = CheckInService(uow, clock, config.station_id, config.timezone,
                              key.derived_secret("uid-fingerprint"), desk)
    registry = ResidentRegistry(uow, clock, config.timezone, key.derived_secret("national-id"))
    care = CareService(uow, clock, config.timezone, load_plans(config.care_plans_file))
    core = Core(config, db, key, clock, events, checkins, desk, StaffService(uow, clock),
                registry, care, lock)
    _ensure_genesis(core)
    return core


def _ensure_genesis(core: Core) -> None:
    """A new log starts with the station's identity; an old one must match the key file."""
    row = core.db.execute("SELECT payload, station_id FROM events WHERE seq = 1").fetchone()
    public_hex = core.key.public_bytes().hex()
    if row is None:
        with core.uow() as uow:
            uow.record("station.initialized", {"station_id": core.config.station_id,
                                               "public_key": public_hex,
                                               "software": f"kiosk {kiosk.__version__}"})
            uow.commit()
        return
    import json
    genesis = json.loads(row[0])
    if genesis.get("public_key") != public_hex or row[1] != core.config.station_id:
        raise KeyFileError(
            f"the key file {core.config.key_file} or station id {core.config.station_id!r} does "
            f"not match the database {core.config.database} (made for station {row[1]!r}); "
            "restore the station's own key file, or point station.database at a new file")


def card_keys(config: Config):
    from kiosk.adapters.card_io import CardKeys
    return CardKeys(config.mifare_key_a, config.mifare_key_b, config.card_aid, config.card_file_id)


def build_reader(config: Config) -> CardReader:
    if config.reader_kind == "fake":
        from kiosk.sim.fake_reader import FakeCardReader
        return FakeCardReader(keys=card_keys(config))
    if config.pcscd_socket:
        os.environ["PCSCLITE_CSOCK_NAME"] = config.pcscd_socket
    from kiosk.adapters.pcsc_reader import PcscCardReader
    return PcscCardReader(config.reader_filter, card_keys(config))


def build_printer(config: Config) -> Printer:
    from kiosk.adapters import printers
    from kiosk.adapters.escpos_render import PrinterProfile
    profile = PrinterProfile(config.paper_mm, config.printer_charset, config.printer_font)
    if config.printer_kind == "network":
        return printers.NetworkEscposPrinter(config.printer_host, config.printer_port,
                                             profile=profile)
    if config.printer_kind in ("usb", "serial"):
        from kiosk.adapters import escpos_devices
        if config.printer_kind == "usb":
            return escpos_devices.usb_printer(*config.usb_ids, profile)
        return escpos_devices.serial_printer(config.printer_path, config.baudrate, profile)
    if config.printer_kind == "file":
        return printers.FileEscposPrinter(config.printer_path, profile)
    if config.printer_kind == "memory":
        return printers.MemoryPrinter()
    return printers.NoPrinter()


def build_signals(config: Config, on_press=None, on_hold=None) -> Signals:
    """Lights and buzzer; the button's press reprints, its hold calls staff."""
    from kiosk.adapters.signals import GpioSignals, RecordingSignals
    if config.signals_kind in ("gpio", "mock"):
        return GpioSignals(mock=config.signals_kind == "mock", on_press=on_press,
                           on_hold=on_hold, **config.pins)
    return RecordingSignals()


def build_spooler(config: Config, printer: Printer, on_state=None):
    from kiosk.station.spooler import PrintSpooler
    return PrintSpooler(config.database, printer, config.station_name, config.timezone,
                        config.show_service_names, on_state=on_state)


def build_ui(config: Config, hub, demo=None, services=None):
    """The touchscreen UI server (not started), or None when the config turns it off."""
    if not config.ui_enabled:
        return None
    from kiosk.web import create_app
    from kiosk.web.server import UiServer
    app = create_app(hub, {"STATION_NAME": config.station_name, "IDLE_SECONDS": config.idle_seconds,
                           "STAFF_IDLE_SECONDS": config.staff_idle_seconds,
                           "TIMEZONE": config.timezone}, demo=demo, services=services)
    return UiServer(app, config.ui_host, config.ui_port)
