"""The station's clock keeper, on the station loop's heartbeat.

Every few seconds it reads the station's clock (kiosk.adapters.station_clock): the status
strip shows its state (the public screen asks staff to set the time while nothing vouches for
it), and when a source starts to vouch by itself (NTP synchronised, the county's signed time
arrived, a battery RTC) it records that with ``station.clock_set`` and has this boot's
flagged check-ins dated (kiosk.domain.clock_setting). It looks at the battery RTC once a
minute. A technician's setting records itself (the staff page calls the ClockService).

It runs on the heartbeat, before the day's end is looked at: the day's queue is closed only
once the clock is set and this boot's check-ins are dated, so a check-in taken under a
guessed day is moved to its real day, never closed as not served with the guessed one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from kiosk.domain.clock_setting import ClockService
from kiosk.domain.trusted_time import TECHNICIAN, Reading
from kiosk.errors import StoreUnavailable

log = logging.getLogger(__name__)
EVERY_NS = 2_000_000_000
RTC_EVERY_NS = 60_000_000_000


class ClockKeeper:
    def __init__(self, clock, service: ClockService, on_state: Callable[[str], None]):
        self.clock, self.service, self.on_state = clock, service, on_state
        self._last: tuple[Reading, int] | None = None  # the last reading and its monotonic time
        self._ticked: int | None = None
        self._rtc_read: int | None = None
        self.settled = False  # set, and nothing of this boot waits to be dated

    def tick(self) -> bool:
        """True when the clock is set and this boot's check-ins are dated (the day's end may
        then be looked at)."""
        mono = self.clock.monotonic_ns()
        if self._ticked is not None and mono - self._ticked < EVERY_NS:
            return self.settled
        self._ticked = mono
        if self._rtc_read is None or mono - self._rtc_read >= RTC_EVERY_NS:
            self._rtc_read = mono
            self.clock.look_at_rtc()
        reading = self.clock.reading()
        self.on_state(reading.source)
        last = self._last
        try:
            if reading.is_set and self._to_record(reading, last):
                before = (last[0].now + dt.timedelta(microseconds=(mono - last[1]) // 1000)
                          if last else reading.now)
                done = self.service.confirm(before)
                if done:
                    log.info("clock set by %s: %s (was %s); %d check-ins dated", done.source,
                             done.new.isoformat(timespec="seconds"),
                             done.old.isoformat(timespec="seconds"), done.dated)
        except StoreUnavailable as exc:  # tried again on the next tick
            log.warning("recording the clock's state failed: %s", exc)
            self.settled = False
            return False
        if not reading.is_set and (last is None or last[0].is_set):
            log.warning("the clock is not set (no NTP, county time, battery clock or "
                        "technician's setting in this boot): check-ins are flagged")
        self._last = (reading, mono)
        self.settled = reading.is_set
        return self.settled

    def _to_record(self, reading: Reading, last: tuple[Reading, int] | None) -> bool:
        if last is None:  # at start: an earlier run of this boot may have left check-ins
            return self.service.pending()
        if last[0].is_set:
            return False
        return reading.source != TECHNICIAN  # a technician's setting recorded itself
