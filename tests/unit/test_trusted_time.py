"""The rules of trusted time (kiosk.domain.trusted_time), pure: which source vouches, the log
as a floor, and how check-ins taken while the clock was not set are dated."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.domain.clock_setting import date_checkins
from kiosk.domain.model import CheckIn
from kiosk.domain.trusted_time import LOG_TOLERANCE, NOT_SET, Anchor, judge

T = dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.UTC)
S = 1_000_000_000  # one second of monotonic time
BOOT = "b"


def at(mono: int, **kwargs):
    return judge(kwargs.pop("system", T), mono, BOOT, ntp=kwargs.pop("ntp", False),
                 anchors=kwargs.pop("anchors", {}), log_newest=kwargs.pop("log", None))


def test_nothing_vouches_and_the_guess_never_runs_behind_the_log():
    log = Anchor("log", T + dt.timedelta(days=2), 0, BOOT)
    reading = at(60 * S, log=log)
    assert reading.source == NOT_SET and reading.now == T + dt.timedelta(days=2, minutes=1)
    assert at(0).source == NOT_SET and at(0).now == T  # no log: the machine's clock, unvouched


@pytest.mark.parametrize("behind, source", [(dt.timedelta(minutes=4), "ntp"),
                                            (LOG_TOLERANCE + dt.timedelta(seconds=1), NOT_SET)])
def test_ntp_counts_only_within_the_tolerance_of_the_log(behind, source):
    assert at(0, ntp=True, log=Anchor("log", T + behind, 0, BOOT)).source == source


def test_the_county_outranks_the_log_and_a_wrong_rtc():
    county = Anchor("county", T, 0, BOOT)
    rtc = Anchor("rtc", T + dt.timedelta(hours=3), 0, BOOT)
    log = Anchor("log", T + dt.timedelta(days=1), 0, BOOT)  # a wrong time set here before
    reading = at(5 * S, anchors={"county": county, "rtc": rtc}, log=log)
    assert (reading.source, reading.now) == ("county", T + dt.timedelta(seconds=5))


def test_rtc_and_technician_count_when_not_behind_the_log_and_only_in_their_boot():
    log = Anchor("log", T, 0, BOOT)
    stale_rtc = Anchor("rtc", T - dt.timedelta(hours=1), 0, BOOT)
    tech = Anchor("technician", T + dt.timedelta(hours=2), 0, BOOT)
    assert at(0, anchors={"rtc": stale_rtc, "technician": tech}, log=log).source == "technician"
    other_boot = Anchor("technician", T + dt.timedelta(hours=2), 0, "earlier")
    assert at(0, anchors={"technician": other_boot}, log=log).source == NOT_SET
    assert at(0, anchors={"rtc": Anchor("rtc", T, 0, BOOT)}, log=log).source == "rtc"
    assert at(0, system=dt.datetime(1970, 1, 1, tzinfo=dt.UTC)).source == NOT_SET


def flagged(cid: str, resident: str, day: str, number: int, mono: int) -> CheckIn:
    return CheckIn(cid, resident, "st", day, number, "", True, BOOT, mono)


def test_flagged_checkins_are_dated_from_the_monotonic_clock():
    """Set at 08:30 local on the 29th: one taken 40 minutes before moves to
    the 29th keeping her number; one whose number is taken there gets the next free one; one
    taken 10 hours before stays on the 28th; hers is left alone if she already came that day."""
    wall = dt.datetime(2026, 11, 29, 0, 30, tzinfo=dt.UTC)
    now = 40_000 * S
    items = [flagged("a", "r1", "2026-11-28", 3, now - 2400 * S),
             flagged("b", "r2", "2026-11-28", 4, now - 2000 * S),
             flagged("c", "r3", "2026-11-28", 5, now - 36_000 * S),
             flagged("d", "r4", "2026-11-28", 6, now - 60 * S)]
    used = {"2026-11-29": {4}}
    dated = date_checkins(items, wall, now, "Asia/Shanghai",
                          lambda day: used.get(day, set()),
                          lambda resident, day: (resident, day) == ("r4", "2026-11-29"))
    got = {after.id: (after.local_date, after.queue_no, after.checked_in_at, after.time_unconfirmed)
           for _before, after in dated}
    assert got == {"a": ("2026-11-29", 3, "2026-11-28T23:50:00+00:00", False),
                   "b": ("2026-11-29", 5, "2026-11-28T23:56:40+00:00", False),
                   "c": ("2026-11-28", 5, "2026-11-28T14:30:00+00:00", False)}
