"""Trusted time: which of the station's time sources vouches for the wall clock right now.

A Raspberry Pi 4 has no battery clock. After a boot without network it starts from the
time saved at its last shutdown (fake-hwclock, systemd-timesyncd) or from 1970, and nothing
on the machine says so. The station therefore never takes the machine's word for the date;
it asks its sources, in this order:

1. NTP: systemd-timesyncd has synchronised the kernel clock in this boot;
2. the county: the time in the county's signed acknowledgement of a push, in this boot
   (corrected by half the round trip);
3. a battery RTC where one is fitted (a Pi 5's with its battery, a DS3231 on I2C);
4. a technician who set the date and time on the touchscreen, in this boot.

And it never runs behind its own log: a time earlier than the newest event's by more than
``LOG_TOLERANCE`` is treated as not set, whoever says it. Only the county's signed time
outranks the log (NTP is unauthenticated and a hostile LAN can answer it; the log can be
ahead of the county only if a wrong time was set here before, and the county's time is
how a station gets out of that).

While nothing vouches, the time is NOT_SET and ``now`` is the best guess: the machine's
clock, but never earlier than the log's newest event (carried forward by the monotonic clock).

An ``Anchor`` is a moment a source said what time it was: its wall time at a monotonic
instant of one boot. Later in the same boot the time is the anchor's plus the monotonic
time since, so an anchor keeps the right time even when the system clock cannot be set.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kiosk.domain.validation import N_

NOT_SET = "not_set"
NTP, COUNTY, RTC, TECHNICIAN = "ntp", "county", "rtc", "technician"
SYSTEM = "system"  # a machine whose own clock is trusted as it is (a PC, the demo, the tests)
SOURCES = (NTP, COUNTY, RTC, TECHNICIAN)  # in order: the first that vouches wins
# How far behind the newest event a time may be and still count: NTP slews and steps by
# seconds, a county acknowledgement is late by its round trip; minutes are a wrong clock.
LOG_TOLERANCE = dt.timedelta(minutes=5)
EARLIEST = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)  # before the station software existed


@dataclass(frozen=True)
class Anchor:
    """``wall`` was the right time at ``mono_ns`` (CLOCK_MONOTONIC) in boot ``boot_id``."""

    source: str
    wall: dt.datetime
    mono_ns: int
    boot_id: str

    def at(self, mono_ns: int) -> dt.datetime:
        return self.wall + dt.timedelta(microseconds=(mono_ns - self.mono_ns) // 1000)


@dataclass(frozen=True)
class Reading:
    """What time it is and who says so (``source``: NOT_SET, SYSTEM or one of SOURCES)."""

    now: dt.datetime
    source: str

    @property
    def is_set(self) -> bool:
        return self.source != NOT_SET


def behind(when: dt.datetime, log_newest: dt.datetime | None) -> bool:
    """True when ``when`` is earlier than the log's newest event by more than the tolerance
    (or earlier than the station software itself)."""
    return when < EARLIEST or (log_newest is not None and when < log_newest - LOG_TOLERANCE)


def judge(system_now: dt.datetime, mono_ns: int, boot_id: str, *, ntp: bool,
          anchors: dict[str, Anchor], log_newest: Anchor | None) -> Reading:
    """The station's time from its sources. ``anchors`` by source (county, rtc, technician;
    those of another boot are ignored). ``log_newest``: the newest event's time, anchored
    where it was written when that was in this boot, else at the station's start (the real
    time then was at least that); carried forward it is a lower bound on the time now."""
    floor = log_newest.at(mono_ns) if log_newest else None
    if ntp and not behind(system_now, floor):
        return Reading(system_now, NTP)
    for source in (COUNTY, RTC, TECHNICIAN):
        anchor = anchors.get(source)
        if anchor is None or anchor.boot_id != boot_id:
            continue
        when = anchor.at(mono_ns)
        if source == COUNTY or not behind(when, floor):
            return Reading(when, source)
    return Reading(max(system_now, floor) if floor else system_now, NOT_SET)


def plausible_setting(when: dt.datetime, log_newest: dt.datetime | None,
                      latest: dt.datetime) -> str | None:
    """Why a technician's setting is refused (a msgid), or None when it may stand: never
    behind the log, and not after ``latest`` (far past the station's own guess: a slip)."""
    if behind(when, log_newest):
        return N_("The station's records already reach a later time: choose a later date and time")
    if when > latest:
        return N_("That date is too far ahead: check the year")
    return None
