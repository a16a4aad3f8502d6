"""The station's Clock: the machine's clock judged against the station's time sources.

kiosk.domain.trusted_time has the rules; this adapter gathers what they need: whether
systemd-timesyncd has synchronised the clock in this boot (its flag file in /run), the
battery RTC's time where one is fitted (sysfs), the county's signed time (handed in by the
sync worker), a technician's setting, and the newest event of the log (handed in at start).
Every source but NTP becomes an ``Anchor`` of this boot, so the time stays right between
readings and when the system clock itself cannot be set (then the station keeps the
difference, "offset"). Everything reads under paths the tests replace.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from kiosk.domain.trusted_time import COUNTY, NOT_SET, RTC, SYSTEM, TECHNICIAN, Anchor, Reading, judge
from kiosk.domain.unit_of_work import Clock
from kiosk.errors import KioskError

log = logging.getLogger(__name__)

NTP_FLAG = Path("/run/systemd/timesync/synchronized")  # timesyncd touches it once in sync
RTC_DIR = Path("/sys/class/rtc/rtc0")
NTP_CACHE_NS = 1_000_000_000  # the flag file is looked at once a second at most
MAX_ROUND_TRIP_S = 60.0  # a county answer slower than this says too little about the time


def read_rtc(rtc_dir: Path = RTC_DIR) -> tuple[bool, dt.datetime | None]:
    """(an RTC is fitted, its time or None when it has none: a flat battery, never set).
    The kernel refuses to read a chip whose oscillator stopped (EINVAL), which is how a
    DS3231 with a dead cell and a Pi 5 without its battery show after a power cut."""
    if not rtc_dir.exists():
        return False, None
    try:
        seconds = int((rtc_dir / "since_epoch").read_text().strip())
    except (OSError, ValueError):
        return True, None
    return True, dt.datetime.fromtimestamp(seconds, dt.UTC)


class StationClock:
    """``base`` is the machine's clock (SystemClock; a FakeClock in tests). ``set_system``
    sets the machine's clock (kiosk.adapters.timedated) and raises KioskError or OSError
    where it cannot; None: never try. ``checked`` False trusts ``base`` as it is (source
    "system": a PC with its own battery clock, the demo, the tests' stations)."""

    def __init__(self, base: Clock, *, checked: bool = True, ntp_flag: Path = NTP_FLAG,
                 rtc_dir: Path = RTC_DIR,
                 set_system: Callable[[dt.datetime], None] | None = None):
        self.base, self.checked = base, checked
        self.ntp_flag, self.rtc_dir, self._set_system = Path(ntp_flag), Path(rtc_dir), set_system
        self._anchors: dict[str, Anchor] = {}
        self._log: Anchor | None = None
        self._ntp: tuple[int, bool] | None = None
        self._lock = threading.Lock()

    # -- the Clock port -------------------------------------------------------------
    def now(self) -> dt.datetime:
        return self.reading().now

    def monotonic_ns(self) -> int:
        return self.base.monotonic_ns()

    def boot_id(self) -> str:
        return self.base.boot_id()

    def source(self) -> str:
        return self.reading().source

    # -- judging ----------------------------------------------------------------------
    def reading(self) -> Reading:
        if not self.checked:
            return Reading(self.base.now(), SYSTEM)
        mono = self.base.monotonic_ns()
        with self._lock:
            anchors, newest = dict(self._anchors), self._log
        return judge(self.base.now(), mono, self.boot_id(), ntp=self._ntp_synced(mono),
                     anchors=anchors, log_newest=newest)

    def floor(self) -> dt.datetime | None:
        """The earliest the time can be now: the log's newest event, carried forward."""
        with self._lock:
            newest = self._log
        return newest.at(self.base.monotonic_ns()) if newest else None

    def _ntp_synced(self, mono: int) -> bool:
        cached = self._ntp
        if cached is None or mono - cached[0] > NTP_CACHE_NS:
            cached = (mono, self.ntp_flag.exists())
            self._ntp = cached
        return cached[1]

    # -- what the sources say -------------------------------------------------------
    def note_log(self, wall: dt.datetime, boot_id: str, mono_ns: int) -> None:
        """The newest event when the station starts (its envelope's wall time, boot, mono)."""
        here = self.boot_id()
        anchor = (Anchor("log", wall, mono_ns, here) if boot_id == here
                  else Anchor("log", wall, self.base.monotonic_ns(), here))
        with self._lock:
            self._log = anchor

    def remember(self, newest: tuple[dt.datetime, str, int] | None,
                 settings: list[tuple[str, dt.datetime, int]]) -> None:
        """At start: the log's newest event (wall time, boot, mono) and the clock settings
        of this boot (source, wall time, mono; kiosk.store.clock_log), so a station restarted
        in the same boot keeps the time it was given, offset included."""
        if newest is not None:
            self.note_log(*newest)
        for source, wall, mono in settings:
            if source in (COUNTY, TECHNICIAN):
                self.anchor(source, wall, mono)

    def anchor(self, source: str, wall: dt.datetime, mono_ns: int | None = None) -> None:
        """``source`` said it was ``wall`` at ``mono_ns`` (now, when None) in this boot."""
        mono = self.base.monotonic_ns() if mono_ns is None else mono_ns
        with self._lock:
            self._anchors[source] = Anchor(source, wall, mono, self.boot_id())

    def county_said(self, county_time: str, sent_mono: int, received_mono: int) -> None:
        """A signed acknowledgement's time: the county wrote it between our request and its
        answer, so half the round trip is added (at most 30 s off)."""
        trip = (received_mono - sent_mono) / 1e9
        if not 0 <= trip <= MAX_ROUND_TRIP_S:
            return
        try:
            said = dt.datetime.fromisoformat(county_time.replace("Z", "+00:00"))
        except ValueError:
            return
        if said.tzinfo is None:
            return
        self.anchor(COUNTY, said + dt.timedelta(seconds=trip / 2), received_mono)

    def look_at_rtc(self) -> None:
        """Read the battery RTC (where fitted) and keep its time as an anchor."""
        if not self.checked:
            return
        _fitted, when = read_rtc(self.rtc_dir)
        with self._lock:
            if when is None:
                self._anchors.pop(RTC, None)
            else:
                self._anchors[RTC] = Anchor(RTC, when, self.base.monotonic_ns(), self.boot_id())

    def set_to(self, wall: dt.datetime, source: str) -> str:
        """Set the machine's clock to ``wall`` where it can ("system") and keep ``wall`` as
        the source's anchor either way, so the station dates things right even when the
        system clock cannot be set ("offset")."""
        mono = self.base.monotonic_ns()
        method = "offset"
        if self._set_system is not None:
            try:
                self._set_system(wall)
                method = "system"
            except (KioskError, OSError) as exc:
                log.warning("could not set the system clock (%s); the station keeps the "
                            "difference itself", exc)
        self.anchor(source, wall, mono)
        return method

    def is_set(self) -> bool:
        return self.reading().source != NOT_SET
