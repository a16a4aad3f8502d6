"""The station's background watchers: the status strip's sync and health rows.

Each runs on its own daemon thread until ``stop``; a failed read is logged and tried again,
so a watcher never stops the station.
"""

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
    """Backlog and last acknowledgement for the status strip (every 5 s); the clock's state
    comes from the clock keeper (kiosk.station.clock_keeper)."""
    from kiosk.station.hub import SyncInfo
    from kiosk.store.database import connect_readonly
    from kiosk.store.sync_log import sync_state
    db = connect_readonly(config.station.database)

    def refresh() -> None:
        state = sync_state(db)
        hub.sync_status(SyncInfo(state.backlog, state.last_sync))
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
