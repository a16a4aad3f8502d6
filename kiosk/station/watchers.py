"""The station's status-strip watchers: threads of `kiosk serve` that read the sync state and
the station's health and hand them to the screen hub (kiosk.bootstrap starts them)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kiosk.config.loader import Config
from kiosk.station.hub import ScreenHub

log = logging.getLogger(__name__)


def every(seconds: float, stop: threading.Event, what: str, action: Callable[[], None]) -> None:
    """Run ``action`` until ``stop``; a failure leaves the strip stale, never stops the station."""
    while not stop.is_set():
        try:
            action()
        except Exception:
            log.exception("%s failed", what)
        stop.wait(seconds)


def watch_sync(config: Config, hub: ScreenHub, stop: threading.Event) -> None:
    """Backlog, last acknowledgement and clock state for the status strip (every 5 s)."""
    from kiosk.station.hub import SyncInfo
    from kiosk.store.database import connect_readonly
    from kiosk.store.sync_log import sync_state
    from kiosk.sync.worker import clock_state
    db = connect_readonly(config.station.database)

    def refresh() -> None:
        state = sync_state(db)
        hub.sync_status(SyncInfo(state.backlog, state.last_sync, clock_state(db)))
    try:
        every(5.0, stop, "reading the sync state", refresh)
    finally:
        db.conn.close()


def watch_health(config: Config, hub: ScreenHub, stop: threading.Event) -> None:
    """Power, SD card, disk, watchdog and screen for the status strip (every 60 s)."""
    from kiosk.adapters.health import HealthProbe, log_changes
    probe = HealthProbe(config.station.data_dir)

    def refresh() -> None:
        problems = probe.problems()
        log_changes(hub.status.health, problems)
        hub.health_status(problems)
    every(60.0, stop, "reading the station's health", refresh)
