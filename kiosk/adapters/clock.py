"""System clock (with the kernel's boot id) and a settable fake."""

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


class FakeClock:
    """Time stands still until a test moves it."""

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

    def advance(self, **delta: float) -> None:
        self._now += dt.timedelta(**delta)

    def set(self, when: dt.datetime) -> None:
        self._now = when
