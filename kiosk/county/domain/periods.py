"""Calendar months, quarters and years in the report's time zone.

Reports count by local calendar month (Asia/Shanghai unless the county says otherwise). A
month is named ``"YYYY-MM"``, a quarter ``"YYYY-Qn"`` and a year ``"YYYY"``: plain strings that
sort in time order within each kind and go into SQL and CSV as they are.

An event's wall time is UTC (``2026-03-31T16:30:00.000000Z``); its month is the month of
that instant in the report's zone, so 00:30 on 1 April in Shanghai belongs to April. A date
a payload carries (a check-in's ``local_date``, a visit's date, a window's last day) is
already a calendar day and decides the month as it is.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Shanghai"


@functools.lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def month_of_date(day: str) -> str:
    """``"2026-03-31"`` -> ``"2026-03"`` (a calendar day needs no time zone)."""
    if len(day) < 10 or day[4] != "-" or day[7] != "-":
        raise ValueError(f"not a date: {day!r}")
    return day[:7]


@functools.lru_cache(maxsize=4096)
def _month_of_hour(hour: str, timezone: str) -> str:
    instant = dt.datetime.fromisoformat(hour + ":00:00+00:00")
    return instant.astimezone(_zone(timezone)).strftime("%Y-%m")


def month_of_instant(wall_time: str, timezone: str = DEFAULT_TIMEZONE) -> str:
    """The local month of a UTC wall time (``...Z``). Cached by the UTC hour (a million
    events at ingest): in a zone offset by whole hours a month starts on the hour, so one
    UTC hour lies in one local month; a zone offset by half hours is converted in full."""
    hour = wall_time[:13]
    if len(hour) != 13 or hour[10] != "T":
        raise ValueError(f"not a UTC wall time: {wall_time!r}")
    offset = _zone(timezone).utcoffset(dt.datetime.fromisoformat(hour + ":00:00"))
    if offset is not None and offset.total_seconds() % 3600:
        instant = dt.datetime.fromisoformat(wall_time.replace("Z", "+00:00"))
        return instant.astimezone(_zone(timezone)).strftime("%Y-%m")
    return _month_of_hour(hour, timezone)


def is_month(column: str) -> bool:
    """"2026-03" is a month; "2026-Q1" (also seven characters) and "2026" are not."""
    return len(column) == 7 and column[5] != "Q"


def quarter_of(month: str) -> str:
    """``"2026-05"`` -> ``"2026-Q2"``."""
    return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"


def months_of_year(year: int) -> tuple[str, ...]:
    return tuple(f"{year:04d}-{m:02d}" for m in range(1, 13))


def quarters_of_year(year: int) -> tuple[str, ...]:
    return tuple(f"{year:04d}-Q{q}" for q in range(1, 5))


def months_of_quarter(quarter: str) -> tuple[str, ...]:
    year, q = int(quarter[:4]), int(quarter[-1])
    return tuple(f"{year:04d}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1))


def previous_month(month: str) -> str:
    year, m = int(month[:4]), int(month[5:7])
    return f"{year - 1:04d}-12" if m == 1 else f"{year:04d}-{m - 1:02d}"


def month_now(now: dt.datetime, timezone: str = DEFAULT_TIMEZONE) -> str:
    """The report zone's current month for an aware instant (from the county's Clock)."""
    return now.astimezone(_zone(timezone)).strftime("%Y-%m")
