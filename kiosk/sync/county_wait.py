"""Sync on a station that has no county yet: wait quietly instead of failing.

A station may be installed without a county (docs/technicians.md) and enrolled later. Sync is a
thread of the station process (kiosk.station.syncing); failing there would leave a station that
never syncs until restarted, and a retry loop would spend part of a core and keep the journal
writing to the SD card. So the thread logs once that no county is configured and then waits,
re-reading the config when the file changes (a stat every few seconds) or when woken (SIGHUP or
SIGUSR1, i.e. `systemctl reload kiosk`). As soon as the config names a county, sync starts.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from kiosk.config.loader import Config
from kiosk.errors import KioskError
from kiosk.i18n import bilingual

log = logging.getLogger(__name__)
CONFIG_POLL = 5.0


def file_stamp(path: Path) -> tuple[int, int, int] | None:
    """What changes when an editor saves the file (in place or by rename); None if it is gone."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_ino, info.st_mtime_ns, info.st_size


def wait_for_county(path: Path, load: Callable[[Path], Config], stop: threading.Event,
                    wake: threading.Event, poll: float = CONFIG_POLL) -> Config | None:
    """The config once it names a county (county.url), or None when ``stop`` is set first."""
    log.warning("%s (county.url, %s): %s", bilingual("No county configured"), path,
                bilingual("sync waits until the county is set in the config"))
    stamp = file_stamp(path)
    while not stop.is_set():
        woken = wake.wait(poll)
        wake.clear()
        if stop.is_set():
            break
        current = file_stamp(path)
        if not woken and current == stamp:
            continue
        stamp = current
        try:
            config = load(path)
        except KioskError as exc:
            log.error("%s: %s", bilingual("Configuration error"), exc)
            continue
        if config.county.url:
            log.info("%s: %s", bilingual("County configured"), config.county.url)
            return config
    return None
