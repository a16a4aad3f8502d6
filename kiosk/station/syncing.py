"""Sync as a thread of the station process, so the station's one writer keeps every
acknowledgement and roster page (docs/architecture.md, "One writer per database").

The thread reads the log through its own read-only connection and writes only through the
core's writer, one unit of work at a time like every other write. The network waits happen
outside any transaction, so a slow county never holds up a check-in. A station installed
without a county waits quietly for the config to name one (kiosk.sync.county_wait); SIGHUP
or SIGUSR1 (`systemctl reload kiosk`) makes it look at once, and pushes at once when it syncs.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.config.loader import load_config
from kiosk.errors import KioskError
from kiosk.station.core import Core
from kiosk.store.database import connect_readonly
from kiosk.sync.county_wait import wait_for_county
from kiosk.sync.worker import LogTruncated

log = logging.getLogger(__name__)


def with_county(core: Core, config_path: Path | None, stop: threading.Event,
                wake: threading.Event) -> Core | None:
    """The core once the config names a county (at once if it does); None when stopped first."""
    if core.config.county.url:
        return core
    if config_path is None:
        return None
    configured = wait_for_county(config_path, load_config, stop, wake)
    if configured is None:
        return None
    return dataclasses.replace(core, config=dataclasses.replace(core.config,
                                                                county=configured.county))


def run_sync(core: Core, build_worker: Callable[..., Any], stop: threading.Event,
             wake: threading.Event, config_path: Path | None = None) -> None:
    """Push and pull until ``stop``; ``build_worker(core, reads)`` makes the worker. A
    truncated log, or any bug, stops sync (and says so in the log), never the station."""
    syncing = with_county(core, config_path, stop, wake)
    if syncing is None:
        return
    reads = connect_readonly(syncing.config.station.database)
    try:
        worker = build_worker(syncing, reads)
        worker.run(stop)
    except LogTruncated as exc:
        log.error("ALERT sync stopped: %s", exc)
    except KioskError as exc:
        log.error("sync stopped: %s", exc)
    except Exception:
        log.exception("sync stopped")
    finally:
        reads.conn.close()


def start_sync(core: Core, build_worker: Callable[..., Any], stop: threading.Event,
               wake: threading.Event, config_path: Path | None) -> threading.Thread:
    thread = threading.Thread(target=run_sync, args=(core, build_worker, stop, wake, config_path),
                              name="sync", daemon=True)
    thread.start()
    return thread
