"""Enrolled stations as the county sees them: their record, what a signed push may change
about them, and the health figures the pages and /metrics show."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kiosk.county.domain.clock import parse_stamp
from kiosk.protocol.station_requests import whole_number

CLOCK_LIMIT_S = 300  # a station's clock off by more than this is flagged


@dataclass(frozen=True)
class StationRecord:
    id: str
    public_key: str
    status: str
    enrolled_at: str
    last_sync: str | None = None
    clock_offset_s: float | None = None
    reported_head: int | None = None  # the station's own highest seq, as it last said

    @property
    def enrolled(self) -> bool:
        return self.status == "enrolled"


@dataclass(frozen=True)
class StationHealth:
    """One row of the stations page and of /metrics."""

    station: StationRecord
    stored: int
    forks: int

    @property
    def backlog(self) -> int | None:
        reported = self.station.reported_head
        return None if reported is None else reported - self.stored

    @property
    def clock_flag(self) -> bool:
        offset = self.station.clock_offset_s
        return offset is not None and abs(offset) > CLOCK_LIMIT_S

    def seconds_since_sync(self, now: dt.datetime) -> float | None:
        last = parse_stamp(self.station.last_sync)
        return None if last is None else (now - last).total_seconds()


@dataclass(frozen=True)
class SyncMetadata:
    """What a push the station signed tells about it: its clock and its own head."""

    clock_offset_s: float
    reported_head: int | None


def clock_offset(station_time: str, now: dt.datetime) -> float | None:
    """Seconds the station's wall clock is ahead of the county's (X-Station-Time)."""
    wall = parse_stamp(station_time)
    return None if wall is None else round((wall - now).total_seconds(), 3)


def sync_metadata(station: StationRecord, station_time: str, reported: str, fresh: bool,
                  now: dt.datetime) -> SyncMetadata | None:
    """The metadata of a signed push, or None when it may not count. A replayed signature
    counts only if its station time is newer than the last one kept, or within 5 minutes of
    now (``fresh``): an old request cannot set the last sync, clock offset or backlog."""
    offset = clock_offset(station_time, now)
    if offset is None:
        return None
    last = parse_stamp(station.last_sync)
    if not fresh and last is not None and station.clock_offset_s is not None:
        try:
            kept = last + dt.timedelta(seconds=station.clock_offset_s)
            if now + dt.timedelta(seconds=offset) <= kept:
                return None
        except OverflowError:  # a clock set near year 1 or 9999: no time to compare
            return None
    return SyncMetadata(offset, whole_number(reported))  # "²" or 10**30: no head (issue 23)
