"""Setting the station's clock, and dating right what was done while it was not set.

Two ways the clock becomes set, both recorded as one signed ``station.clock_set`` event with
the time before and after: a technician sets the date and time on the touchscreen (``set``),
or a source starts to vouch for it by itself: NTP, the county's signed time, a battery RTC
(``confirm``, from the station's clock keeper).

Check-ins taken while the clock was not set carry where in the boot they happened (its
monotonic time). Once the time is known, so is theirs: the time set minus the monotonic time
since. The same event dates each of them: one whose day turns out to be another moves to that
day's queue, keeping the number printed on her receipt when it is free there (else the next
free one), and every one loses its flag. A check-in of an earlier boot cannot be dated (the
time the station was off is unknown): it keeps its flag, and staff see it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from kiosk.domain.model import CheckIn, local_date
from kiosk.domain.queue import RANK_STEP
from kiosk.domain.trusted_time import EARLIEST, NOT_SET, TECHNICIAN, Reading, plausible_setting
from kiosk.domain.unit_of_work import Clock, UnitOfWork
from kiosk.domain.validation import N_, Invalid

MAX_DATED = 500  # check-ins dated by one event (a morning offline takes tens)
# A setting this far past the station's own guess (its log's newest time) is a slip of the
# year stepper, not a station that was off that long.
MAX_AHEAD = dt.timedelta(days=2 * 366)


class StationClockPort(Clock, Protocol):
    """The station's Clock with what setting it needs (kiosk.adapters.station_clock)."""

    def reading(self) -> Reading: ...
    def floor(self) -> dt.datetime | None: ...
    def set_to(self, wall: dt.datetime, source: str) -> str: ...


class ClockRefused(Invalid):
    """A setting the station will not take (``message`` is a msgid)."""

    def __init__(self, message: str):
        super().__init__("when", message)


@dataclass(frozen=True)
class ClockSet:
    source: str
    old: dt.datetime
    new: dt.datetime
    method: str | None  # "system", "offset" (the station keeps the difference), None: a source's own
    dated: int          # flagged check-ins of this boot dated by it
    event_seq: int


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="seconds")


def date_checkins(flagged: list[CheckIn], wall: dt.datetime, mono_ns: int, timezone: str,
                  numbers: Callable[[str], set[int]], has_checkin: Callable[[str, str], bool]
                  ) -> list[tuple[CheckIn, CheckIn]]:
    """(before, after) for each flagged check-in, dated from ``wall`` at ``mono_ns``.
    ``numbers(date)``: queue numbers taken that day; ``has_checkin(resident, date)``: she
    already checked in that day (then hers stays where it is, flagged)."""
    taken: dict[str, set[int]] = {}
    dated = []
    for checkin in flagged[:MAX_DATED]:
        taken_at = mono_ns if checkin.mono_ns is None else checkin.mono_ns
        at = wall - dt.timedelta(microseconds=(mono_ns - taken_at) // 1000)
        day = local_date(at, timezone).isoformat()
        queue_no = checkin.queue_no
        if day != checkin.local_date:
            if has_checkin(checkin.resident_id, day):
                continue
            used = taken.setdefault(day, set(numbers(day)))
            queue_no = queue_no if queue_no not in used else max(used) + 1
            used.add(queue_no)
        dated.append((checkin, replace(checkin, local_date=day, queue_no=queue_no,
                                       checked_in_at=_iso(at), time_unconfirmed=False)))
    return dated


class ClockService:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: StationClockPort,
                 station_id: str, timezone: str):
        self.uow_factory, self.clock = uow_factory, clock
        self.station_id, self.timezone = station_id, timezone

    def set(self, wall: dt.datetime, by: str) -> ClockSet:
        """A technician's setting (aware ``wall``), only while nothing else vouches."""
        before = self.clock.reading()
        if before.is_set:
            raise ClockRefused(N_("The clock is already set: nothing to do"))
        refused = plausible_setting(wall, self.clock.floor(),
                                    max(before.now, EARLIEST) + MAX_AHEAD)
        if refused:
            raise ClockRefused(refused)
        method = self.clock.set_to(wall, TECHNICIAN)
        return self._record(TECHNICIAN, before.now, method, by)

    def confirm(self, before: dt.datetime) -> ClockSet | None:
        """Record that a source now vouches for the clock (it was ``before`` by the station's
        guess) and date this boot's flagged check-ins; None while nothing vouches."""
        if self.clock.source() == NOT_SET:
            return None
        return self._record(self.clock.source(), before, None, None)

    def pending(self) -> bool:
        """Flagged check-ins of this boot wait to be dated."""
        with self.uow_factory() as uow:
            return bool(uow.checkins.unconfirmed(self.clock.boot_id()))

    def _record(self, source: str, old: dt.datetime, method: str | None,
                by: str | None) -> ClockSet:
        with self.uow_factory() as uow:
            reading, mono = self.clock.reading(), self.clock.monotonic_ns()
            flagged = uow.checkins.unconfirmed(self.clock.boot_id())
            dated = date_checkins(
                flagged, reading.now, mono, self.timezone,
                lambda day: uow.checkins.queue_numbers(self.station_id, day),
                lambda resident, day: uow.checkins.for_resident_on(resident, day) is not None)
            moves = [self._apply(uow, was, now) for was, now in dated]
            payload: dict[str, Any] = {"source": source, "old": _iso(old), "new": _iso(reading.now),
                                       "checkins": moves}
            if method:
                payload["method"] = method
            if by:
                payload["by"] = by
            event = uow.record("station.clock_set", payload)
            uow.commit()
        return ClockSet(source, old, reading.now, method, len(moves), event.seq)

    @staticmethod
    def _apply(uow: UnitOfWork, was: CheckIn, now: CheckIn) -> dict[str, Any]:
        uow.checkins.update(now)
        entry = uow.queue.get(now.id)
        if entry is not None and (entry.local_date, entry.queue_no) != (now.local_date, now.queue_no):
            uow.queue.save(replace(entry, local_date=now.local_date, queue_no=now.queue_no,
                                   rank=now.queue_no * RANK_STEP))
        return {"checkin_id": now.id, "local_date": now.local_date, "queue_no": now.queue_no,
                "checked_in_at": now.checked_in_at, "from_date": was.local_date,
                "from_queue_no": was.queue_no}
