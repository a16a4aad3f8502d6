"""The machine's clock (with the kernel's boot id) and a settable fake.

Both vouch for themselves (source "system"); a station wraps the machine's clock in
kiosk.adapters.station_clock.StationClock, which judges it against the station's time sources.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from pathlib import Path

BOOT_ID_PATH = Path("/proc/sys/kernel/random/boot_id")


class SystemClock:
    def __init__(self) -> None:
        try:
            self._boot_id = BOOT_ID_PATH.read_text().strip()
        except OSError:
            self._boot_id = "nobootid-" + str(uuid.uuid4())

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def monotonic_ns(self) -> int:
        return time.monotonic_ns()

    def boot_id(self) -> str:
        return self._boot_id

    def source(self) -> str:
        return "system"


class FakeClock:
    """Time stands still until a test moves it: ``advance`` is time passing (wall and
    monotonic clock both move), ``set`` is someone setting the wall clock (the monotonic
    clock does not move), ``reboot`` a new boot with the wall clock where it is."""

    def __init__(self, start: dt.datetime | None = None, boot_id: str = "fake-boot"):
        self._now = start or dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.UTC)
        self._mono = 1_000_000
        self._boot_id = boot_id

    def now(self) -> dt.datetime:
        return self._now

    def monotonic_ns(self) -> int:
        self._mono += 1
        return self._mono

    def boot_id(self) -> str:
        return self._boot_id

    def source(self) -> str:
        return "system"

    def advance(self, **delta: float) -> None:
        step = dt.timedelta(**delta)
        self._now += step
        self._mono += step // dt.timedelta(microseconds=1) * 1000

    def set(self, when: dt.datetime) -> None:
        self._now = when

    def reboot(self, boot_id: str, wall: dt.datetime | None = None) -> None:
        """A new boot: the monotonic clock starts again, the wall clock is ``wall`` (as
        fake-hwclock or 1970 left it) or stays where it was."""
        self._boot_id, self._mono = boot_id, 1_000_000
        if wall is not None:
            self._now = wall
