"""Running a station process: build it from the config, stop cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections.abc import Callable

from kiosk.bootstrap import (build_core, build_printer, build_reader, build_signals, build_spooler,
                             build_ui)
from kiosk.config.loader import Config
from kiosk.domain.outcomes import (CardIssued, CardRefused, CheckedIn, IssueFailed, TechnicianCard,
                                   UnknownCard)
from kiosk.i18n import bilingual
from kiosk.ports import CardReader, ReaderState, ReaderStatus
from kiosk.adapters.sd_notify import Notifier
from kiosk.station.services import StationServices
from kiosk.station.staff_desk import StaffDesk
from kiosk.station.loop import Station, TapReport
from kiosk.station.hub import ScreenHub

log = logging.getLogger(__name__)


def report_json(report: TapReport) -> str:
    """One line per tap for tools and tests (no names, no UIDs)."""
    outcome = report.outcome
    data: dict = {"kind": outcome.kind if outcome else "error", "reader": report.reader,
                  "detect_to_commit_ms": round(report.detect_to_commit_ms, 3),
                  "read_ms": round(report.read_ms, 3),
                  "detected_epoch_ms": round(report.detected_epoch_ms, 3)}
    if isinstance(outcome, CheckedIn):
        data.update(resident_id=outcome.resident_id, queue_no=outcome.queue_no,
                    repeat=outcome.repeat, event_seq=outcome.event_seq,
                    checkin_id=outcome.checkin_id, local_date=outcome.local_date)
    elif isinstance(outcome, UnknownCard):
        data.update(uid_fingerprint=outcome.uid_fingerprint, event_seq=outcome.event_seq)
    elif isinstance(outcome, CardRefused):
        data.update(reason=outcome.reason, event_seq=outcome.event_seq)
    elif isinstance(outcome, TechnicianCard):
        data.update(technician_id=outcome.technician_id)
    elif isinstance(outcome, CardIssued):
        data.update(card_no=outcome.card_no, role=outcome.role, holder_id=outcome.holder_id)
    elif isinstance(outcome, IssueFailed):
        data.update(message=outcome.message)
    elif outcome is not None:
        data.update(reason=outcome.reason, detail=outcome.detail)
    else:
        data["error"] = report.error
    return json.dumps(data, ensure_ascii=False)


def report_text(report: TapReport) -> str:
    """What a person at the console reads for a tap."""
    outcome = report.outcome
    if isinstance(outcome, CheckedIn):
        key = "Already checked in today" if outcome.repeat else "Checked in"
        text = f"{bilingual(key)}: {outcome.masked_name}  {bilingual('Queue number')} {outcome.queue_no}"
        item = outcome.follow_up.next_item
        if item:
            text += f"\n    {bilingual('Next visit')}: {item.title} {item.next_date}"
        for overdue in outcome.follow_up.overdue:
            text += f"\n    {bilingual('Overdue')}: {overdue.title} {overdue.due}"
        return text
    if isinstance(outcome, UnknownCard):
        return bilingual("Card not recognised, please ask staff")
    if isinstance(outcome, CardRefused):
        return bilingual("This card cannot be used") + f" ({outcome.reason})"
    if isinstance(outcome, TechnicianCard):
        return bilingual("Technician card: enter the PIN on the screen")
    if isinstance(outcome, CardIssued):
        return bilingual("Card issued") + f": {outcome.card_no}"
    if isinstance(outcome, IssueFailed):
        return bilingual("Card not issued") + f": {bilingual(outcome.message)}"
    if outcome is not None:
        if outcome.reason == "removed":
            return bilingual("Card moved away too soon, please tap again")
        return bilingual("This card cannot be read here, please ask staff")
    return bilingual("Check-in could not be saved, please ask staff")


STATUS_TEXT = {
    ReaderState.READY: "Card reader ready",
    ReaderState.NO_READER: "No card reader connected",
    ReaderState.SERVICE_UNAVAILABLE: "Reader service unavailable, retrying",
    ReaderState.STARTING: "Card reader starting",
}


def status_line(status: ReaderStatus, as_json: bool) -> str:
    if as_json:
        return json.dumps({"kind": "reader_status", "state": status.state.value,
                           "readers": list(status.readers), "detail": status.detail})
    text = bilingual(STATUS_TEXT[status.state])
    return f"{text}: {', '.join(status.readers)}" if status.readers else text


def _every(seconds: float, stop: threading.Event, what: str, action: Callable[[], None]) -> None:
    """Run ``action`` until ``stop``; a failure leaves the strip stale, never stops the station."""
    while not stop.is_set():
        try:
            action()
        except Exception:
            log.exception("%s failed", what)
        stop.wait(seconds)


def _watch_sync(config: Config, hub: ScreenHub, stop: threading.Event) -> None:
    """Backlog, last acknowledgement and clock state for the status strip (every 5 s)."""
    from kiosk.store.database import connect
    from kiosk.sync.worker import clock_state, sync_state
    from kiosk.station.hub import SyncInfo
    db = connect(config.database)

    def refresh() -> None:
        state = sync_state(db)
        hub.sync_status(SyncInfo(state.backlog, state.last_sync, clock_state(db)))
    try:
        _every(5.0, stop, "reading the sync state", refresh)
    finally:
        db.conn.close()


def _watch_health(config: Config, hub: ScreenHub, stop: threading.Event) -> None:
    """Power, SD card, disk, watchdog and screen for the status strip (every 60 s)."""
    from kiosk.adapters.health import HealthProbe, log_changes
    probe = HealthProbe(config.data_dir)

    def refresh() -> None:
        problems = probe.problems()
        log_changes(hub.status.health, problems)
        hub.health_status(problems)
    _every(60.0, stop, "reading the station's health", refresh)


def run_station(config: Config, as_json: bool = False, reader: CardReader | None = None,
                on_report: Callable[[TapReport], None] | None = None,
                stop: threading.Event | None = None, demo=None) -> None:
    core = build_core(config)
    reader = reader or build_reader(config)
    hub = ScreenHub()

    def emit(report: TapReport) -> None:
        hub.tap(report)
        print(report_json(report) if as_json else report_text(report), flush=True)
        if on_report:
            on_report(report)

    def status(status: ReaderStatus) -> None:
        hub.reader_status(status)
        print(status_line(status, as_json), flush=True)

    spooler = build_spooler(config, build_printer(config), on_state=hub.printer_status)
    spooler.start()
    staff = StaffDesk(config.staff_idle_seconds)
    ui = build_ui(config, hub, demo, StationServices(core, staff, hub, spooler))
    if ui:
        ui.start()
        print(json.dumps({"kind": "ui", "url": f"http://{ui.host}:{ui.port}/"}) if as_json else
              bilingual("Touchscreen UI") + f": http://{ui.host}:{ui.port}/", flush=True)
    stop = stop or threading.Event()
    if config.county_url:
        threading.Thread(target=_watch_sync, args=(config, hub, stop), name="sync-watch",
                         daemon=True).start()
    threading.Thread(target=_watch_health, args=(config, hub, stop), name="health-watch",
                     daemon=True).start()
    signals = build_signals(config, on_press=spooler.reprint_last)
    station = Station(core.checkins, reader, spooler, signals, on_report=emit, on_status=status,
                      staff=staff, cards=core.desk, staff_service=core.staff)
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    log.info("station %s starting (database %s, key %s)", config.station_id, config.database,
             core.key.fingerprint())
    print(json.dumps({"kind": "ready"}) if as_json else bilingual("Station ready"), flush=True)
    notifier = Notifier()
    notifier.ready()
    try:
        station.run(stop, on_heartbeat=notifier.watchdog)
    finally:
        notifier.stopping()
        if ui:
            ui.stop()
        spooler.stop()
        core.db.conn.close()
        sys.stdout.flush()
