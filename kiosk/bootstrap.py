"""The composition root: the one place that turns a Config into a running station.

`run_station` builds the process (core, reader, printer spooler, signals, UI, watchers)
and stops it cleanly on SIGTERM/SIGINT.

Nothing is built at import time; every adapter is chosen here from the config.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable

from kiosk.adapters.clock import SystemClock
from kiosk.adapters.sd_notify import Notifier
from kiosk.adapters.station_clock import StationClock
from kiosk.config.care_plans import load_plans
from kiosk.config.loader import Config
from kiosk.domain.card_desk import CardDesk
from kiosk.domain.care import CareService
from kiosk.domain.checkin import CheckInService
from kiosk.domain.clock_setting import ClockService
from kiosk.domain.events import Signer
from kiosk.domain.registry import ResidentRegistry
from kiosk.domain.staff import StaffService
from kiosk.domain.unit_of_work import Clock, EventFactory
from kiosk.errors import StoreUnavailable
from kiosk.i18n import bilingual
from kiosk.keys import load_key_file, make_verifier, public_key_from_hex
from kiosk.ports import CardReader, CountyLink, Printer, ReaderStatus, Signals
from kiosk.station.console import report_json, report_text, status_line
from kiosk.station.core import Core
from kiosk.station.hub import ScreenHub
from kiosk.station.loop import Station, TapReport
from kiosk.station.screen_pages import SCREEN_TOKEN_FILE, ScreenPages
from kiosk.station.services import StationServices
from kiosk.station.staff_desk import StaffDesk
from kiosk.station.watchers import watch_health, watch_sync
from kiosk.store.clock_log import clock_settings, newest_stamp
from kiosk.store.rebuild import former_issuer_keys
from kiosk.store.sqlite import SqliteUnitOfWork
from kiosk.store.writer import Writer

log = logging.getLogger(__name__)
WRITER_WAIT = 30.0  # seconds `kiosk serve` waits for a console command's write to finish


def build_core(config: Config, clock: Clock | None = None, wait: float = 0.0) -> Core:
    """The core on the database's one writer: ``StationRunning`` if another process (the
    station) holds it after ``wait`` seconds."""
    key = load_key_file(config.station.key_file)
    clock = clock if isinstance(clock, StationClock) else (
        StationClock(clock, checked=False) if clock else build_clock(config))
    writer = Writer.open(config.station.database, wait=wait)
    try:
        return _core_on(config, key, clock, writer)
    except BaseException:
        writer.close()
        raise


def build_clock(config: Config) -> StationClock:
    """The machine's clock, judged against the station's time sources where station.clock
    says (auto: on a Raspberry Pi, which has no battery clock); timedated sets it."""
    from kiosk.adapters.health import HealthProbe
    from kiosk.adapters.timedated import set_system_clock
    checked = config.station.clock == "checked" or (
        config.station.clock == "auto" and HealthProbe(config.station.data_dir).is_raspberry_pi())
    return StationClock(SystemClock(), checked=checked, set_system=set_system_clock)


def _core_on(config: Config, key, clock: StationClock, writer: Writer) -> Core:
    db = writer.db
    events = EventFactory(config.station.id, key, clock)

    def uow() -> SqliteUnitOfWork:  # one unit of work at a time, under the writer's lock
        return SqliteUnitOfWork(db, events, writer.lock)

    trusted = {sid: public_key_from_hex(h) for sid, h in config.cards.trusted_issuers.items()}
    trusted[config.station.id] = key.public
    from kiosk.store.roster_apply import remote_key_lookup, remote_revoked_at
    desk = CardDesk(uow, clock, config.station.id, key,
                    make_verifier(trusted, remote_key_lookup(db), former_issuer_keys(db, config.station.id)),
                    config.cards.legacy_uid_only, remote_revoked_at(db),
                    config.cards.require_authenticated, config.cards.unverified_visitors)
    plans = load_plans(config.care.plans_file)

    def names_shown(plan_id: str) -> bool:  # a plan this station does not know counts as sensitive
        return config.ui.show_service_names or (plan_id in plans and not plans[plan_id].sensitive)

    checkins = CheckInService(uow, clock, config.station.id, config.station.timezone,
                              key.derived_secret("uid-fingerprint"), desk, names_shown)
    registry = ResidentRegistry(uow, clock, config.station.timezone, key.derived_secret("national-id"))
    care = CareService(uow, clock, config.station.timezone, plans)
    from kiosk.domain.calling import QueueService, Room
    queue = QueueService(uow, clock, config.station.timezone,
                         tuple(Room(rid, name) for rid, name in config.queue.rooms),
                         config.queue.return_after)
    from kiosk.adapters.card_relay import station_card_access  # card keys, the county relay
    core = Core(config, db, key, clock, events, uow, checkins, desk, StaffService(uow, clock),
                registry, care, queue, writer,
                ClockService(uow, clock, config.station.id, config.station.timezone),
                station_card_access(config, key))
    core.ensure_genesis()
    with writer.lock:  # the log's newest time, and what this boot's settings said
        clock.remember(newest_stamp(db), clock_settings(db, clock.boot_id()))
    return core


def build_reader(config: Config, access=None) -> CardReader:
    """The reader, with ``access`` (the core's card keys: kiosk.adapters.card_access)."""
    if config.reader.kind == "fake":
        from kiosk.sim.fake_reader import FakeCardReader
        return FakeCardReader(keys=access or config.cards.keys)
    if config.reader.pcscd_socket:
        os.environ["PCSCLITE_CSOCK_NAME"] = config.reader.pcscd_socket
    from kiosk.adapters.pcsc_reader import PcscCardReader
    return PcscCardReader(config.reader.readers, access or config.cards.keys)


def build_printer(config: Config) -> Printer:
    from kiosk.adapters import printers
    from kiosk.adapters.escpos_render import PrinterProfile
    profile = PrinterProfile(config.printer.paper_mm, config.printer.charset, config.printer.font)
    if config.printer.kind == "network":
        return printers.NetworkEscposPrinter(config.printer.host, config.printer.port,
                                             profile=profile)
    if config.printer.kind in ("usb", "serial"):
        from kiosk.adapters import escpos_devices
        if config.printer.kind == "usb":
            return escpos_devices.usb_printer(*config.printer.usb_ids, profile)
        return escpos_devices.serial_printer(config.printer.path, config.printer.baudrate, profile)
    if config.printer.kind == "file":
        return printers.FileEscposPrinter(config.printer.path, profile)
    if config.printer.kind == "memory":
        return printers.MemoryPrinter()
    return printers.NoPrinter()


def build_signals(config: Config, on_press=None, on_hold=None) -> Signals:
    """Lights and buzzer; the button's press reprints, its hold calls staff."""
    from kiosk.adapters.signals import GpioSignals, RecordingSignals
    if config.signals.kind in ("gpio", "mock"):
        return GpioSignals(mock=config.signals.kind == "mock", on_press=on_press,
                           on_hold=on_hold, **config.signals.pins)
    return RecordingSignals()


def build_spooler(config: Config, printer: Printer, on_state=None, clock: Clock | None = None,
                  writer: Writer | None = None):
    """The print spooler; it marks jobs through ``writer`` (the core's one writer)."""
    from kiosk.station.spooler import PrintSpooler
    return PrintSpooler(config.station.database, printer, config.station.name, config.station.timezone,
                        config.printer.show_service_names, on_state=on_state, clock=clock,
                        rooms=len(config.queue.rooms), reprint_seconds=config.printer.reprint_seconds,
                        writer=writer)


def reprint_button(spooler, hub: ScreenHub) -> Callable[[], None]:
    """The button's press: reprint the last check-in's receipt, or say on screen why not."""
    def press() -> None:
        if not spooler.reprint_last():
            hub.notice("reprint_refused")
    return press


def build_county_link(config: Config, signer: Signer | None = None) -> CountyLink:
    """The HTTP county link; ``signer`` (the station key) signs each push's time and head."""
    from kiosk.adapters.county import HttpCountyLink
    return HttpCountyLink(config.county.url, ca_bundle=config.county.ca_bundle, signer=signer)


def build_sync_worker(core: Core, on_progress: Callable | None = None,
                      on_roster: Callable[[int], None] | None = None,
                      wake: threading.Event | None = None, reads=None):
    """The sync worker on the core's writer (``reads``: its own read-only connection when it
    runs beside other threads), and its roster pull (run after each push); ``on_roster`` hears
    how many roster entries a pull applied; setting ``wake`` (a signal handler does) pushes
    at once."""
    from kiosk.sync.roster_pull import pull
    from kiosk.sync.visitors import after_pull
    from kiosk.sync.worker import SyncWorker
    config = core.config
    link = build_county_link(config, signer=core.key)
    county_key = public_key_from_hex(config.county.public_key)

    def roster() -> None:
        applied = pull(core, link, county_key)
        if applied and on_roster:
            on_roster(applied)
        after_pull(core, link, county_key)  # offline visitors linked, expired ones forgotten

    worker = SyncWorker(core.writer, link, config.station.id, county_key, on_progress=on_progress,
                        trigger_dir=config.station.data_dir, after_push=roster, clock=core.clock,
                        wake=wake, reads=reads, county_time=core.clock.county_said)
    return worker, roster


def build_visitors(config: Config, core: Core):
    """Looks up another station's resident at the county; offline, checks her in by card."""
    from kiosk.station.visitors import VisitorDesk
    link = build_county_link(config, core.key) if config.county.url and config.county.public_key else None
    return VisitorDesk(core, link, public_key_from_hex(config.county.public_key) if link else None)


def build_ui(config: Config, hub, demo=None, services=None):
    """The touchscreen UI server (not started), or None when the config turns it off."""
    if not config.ui.enabled:
        return None
    from kiosk.web import create_app
    from kiosk.web.server import UiServer
    app = create_app(hub, {"STATION_NAME": config.station.name, "IDLE_SECONDS": config.ui.idle_seconds,
                           "STAFF_IDLE_SECONDS": config.staff.idle_logout_seconds,
                           "TIMEZONE": config.station.timezone}, demo=demo, services=services)
    return UiServer(app, config.ui.host, config.ui.port)


def build_desk(config: Config, core: Core, staff: StaffDesk):
    """The technician desk, when desk.enabled: (its sessions, the desk-reader router, the
    certificate's fingerprint, a builder of its HTTPS server for the station's services)."""
    if not config.desk.enabled:
        return None  # before the imports: TLS and x509 cost a station without a desk its boot
    from kiosk.adapters import desk_tls
    from kiosk.station.desk_sessions import DeskSessions
    from kiosk.station.desk_taps import DeskTaps
    cert, key = desk_tls.ensure_certificate(config.station.data_dir, config.desk.cert_file,
                                            config.desk.key_file, config.station.name,
                                            config.desk.host)
    context = desk_tls.server_context(cert, key)
    sessions = DeskSessions(config.desk.idle_logout_seconds, config.desk.sessions,
                            device_secret=core.key.derived_secret("desk-device"))
    taps = DeskTaps(sessions, core.checkins, core.staff, config.reader.role)

    def server(hub: ScreenHub, services: StationServices):
        from kiosk.web import create_app
        from kiosk.web.server import DeskServer
        app = create_app(hub, {"STATION_NAME": config.station.name,
                               "STAFF_IDLE_SECONDS": config.desk.idle_logout_seconds,
                               "TIMEZONE": config.station.timezone}, services=services, desk=True)
        return DeskServer(app, config.desk.host, config.desk.port, context)
    return sessions, taps, desk_tls.fingerprint(cert), server


def build_calling(config: Config, core: Core, hub: ScreenHub):
    """The queue's boards and announcements (espeak-ng voice unless queue.voice = false)."""
    from kiosk.station.calling import QueueDesk
    from kiosk.station.voice_access import VoicePasses
    announcer = None
    if config.queue.voice:
        from kiosk.adapters.speech import EspeakSpeech
        from kiosk.station.announcer import Announcer
        announcer = Announcer(EspeakSpeech(), config.station.data_dir / "voice", config.queue.voice_lang,
                              config.queue.voice_cache_mb * 1024 * 1024)
        announcer.cache.prune()  # what an older release or a smaller bound left
        if config.queue.voice_lang == "cmn":  # the room names as pypinyin reads them in context,
            from kiosk.adapters.mandarin import learn_phrases  # in a process of its own (memory)
            threading.Thread(target=learn_phrases, args=([name for _, name in config.queue.rooms],),
                             name="room-readings", daemon=True).start()
    passes = VoicePasses(core.key.derived_secret("voice-pass"))
    return QueueDesk(core.queue, hub, config.station.database, config.queue.show_masked_name, announcer, passes)


def build_screen_pages(config: Config, core: Core) -> ScreenPages:
    """The kiosk's own screen: its launch token (written where kiosk-browser.service reads
    it, 0600) and its browser cookie, both derived from the station key."""
    launch = core.key.derived_secret("screen-launch").hex()
    path = config.station.data_dir / SCREEN_TOKEN_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(launch + "\n")
    secret = core.key.derived_secret
    return ScreenPages(launch, secret("screen-browser").hex(), secret("screen-display").hex()[:32])


def run_station(config: Config, as_json: bool = False, reader: CardReader | None = None,
                on_report: Callable[[TapReport], None] | None = None,
                stop: threading.Event | None = None, demo=None) -> None:
    from kiosk.store.database import sqlite_status
    log.info("%s", sqlite_status())
    core = build_core(config, wait=WRITER_WAIT)  # a console command may be finishing a write
    reader = reader or build_reader(config, core.card_access)
    hub = ScreenHub(build_screen_pages(config, core))

    def emit(report: TapReport) -> None:
        hub.tap(report)
        print(report_json(report) if as_json else report_text(report), flush=True)
        if on_report:
            on_report(report)

    def console(report: TapReport) -> None:  # a desk-reader tap: never on the public screen
        print(report_json(report) if as_json else report_text(report), flush=True)
        if on_report:
            on_report(report)

    def status(status: ReaderStatus) -> None:
        hub.reader_status(status)
        print(status_line(status, as_json), flush=True)

    spooler = build_spooler(config, build_printer(config), on_state=hub.printer_status,
                            clock=core.clock, writer=core.writer)
    spooler.start()
    staff = StaffDesk(config.staff.idle_logout_seconds)
    calling = build_calling(config, core, hub)
    from kiosk.station.calling import DayEnd

    def publish_board() -> None:
        from kiosk.store.database import connect_readonly
        read = connect_readonly(config.station.database)
        try:
            hub.queue_board(calling.board(read))
        finally:
            read.conn.close()
    day_end = DayEnd(core.queue, on_closed=publish_board)
    from kiosk.station.clock_keeper import ClockKeeper
    keeper = ClockKeeper(core.clock, core.clocks, hub.clock_status)
    if keeper.tick():  # a station that was off overnight closes yesterday's queue first,
        day_end.tick()  # once it knows what day it is
    desk = build_desk(config, core, staff)
    services = StationServices(core, staff, hub, spooler, calling,
                               desk_sessions=desk[0] if desk else None,
                               desk_fingerprint=desk[2] if desk else "")
    ui = build_ui(config, hub, demo, services)
    desk_server = desk[3](hub, services) if desk else None
    if ui:
        ui.start()
        url = f"http://{ui.host}:{ui.port}/"
        print(json.dumps({"kind": "ui", "url": url,
                          "screen_url": f"{url}?screen={hub.pages.launch_token}"}) if as_json
              else bilingual("Touchscreen UI") + f": {url}", flush=True)
    if desk_server:
        desk_server.start()
        desk_url = f"https://{desk_server.host}:{desk_server.port}/staff/"
        print(json.dumps({"kind": "desk", "url": desk_url, "fingerprint": services.desk_fingerprint})
              if as_json else bilingual("Technician desk") + f": {desk_url}  SHA-256 "
              f"{services.desk_fingerprint}", flush=True)
    stop = stop or threading.Event()
    if config.county.url:
        threading.Thread(target=watch_sync, args=(config, hub, stop), name="sync-watch",
                         daemon=True).start()
    threading.Thread(target=watch_health, args=(config, hub, stop), name="health-watch",
                     daemon=True).start()
    signals = build_signals(config, on_press=reprint_button(spooler, hub))
    visitors = build_visitors(config, core)
    station = Station(core.checkins, reader, spooler, signals, on_report=emit, on_status=status,
                      staff=staff, cards=core.desk, staff_service=core.staff,
                      desk=desk[1] if desk else None, on_desk=console, visitors=visitors)
    sync_wake, syncing = threading.Event(), None

    def stopping(*_: object) -> None:
        stop.set()
        sync_wake.set()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, stopping)
        for signum in (signal.SIGUSR1, signal.SIGHUP):  # sync now / look for a county now
            signal.signal(signum, lambda *_: sync_wake.set())
    log.info("station %s starting (database %s, key %s)", config.station.id, config.station.database,
             core.key.fingerprint())
    print(json.dumps({"kind": "ready"}) if as_json else bilingual("Station ready"), flush=True)
    notifier = Notifier()
    notifier.ready()
    # after "ready", so neither holds up the boot (a SIGUSR1 before this is kept in sync_wake)
    if config.county.url or (config.source and demo is None):  # the demo has no county
        from kiosk.station.syncing import start_sync
        syncing = start_sync(core, lambda synced, reads: build_sync_worker(
            synced, wake=sync_wake, reads=reads)[0], stop, sync_wake, config.source)
    if config.ui.enabled or config.desk.enabled:  # registrations come through their pages
        from kiosk.store.search_keys import warm_up  # so the first one does not pay for it
        threading.Thread(target=warm_up, name="pinyin-warm-up", daemon=True).start()

    def heartbeat() -> None:
        notifier.watchdog()
        try:
            if keeper.tick():
                day_end.tick()
            visitors.forget_hourly()  # expired visitors, also without a county
        except StoreUnavailable as exc:  # tried again on the next beat
            log.warning("closing the day's queue failed: %s", exc)
    try:
        station.run(stop, on_heartbeat=heartbeat)
    finally:
        notifier.stopping()
        if ui:
            ui.stop()
        if desk_server:
            desk_server.stop()
        spooler.stop()
        if syncing:
            sync_wake.set()
            syncing.join(timeout=10)  # its last acknowledgement goes through the writer first
        core.close()
        sys.stdout.flush()
