"""The right day without a battery clock (issue 21), through the station's Clock port.

A station runs a day with NTP, is switched off, and boots offline with its clock two days
behind its last event (a Pi 4 without a battery clock). It takes no check-in under the old
date: the resident is checked in on the station's best guess, flagged, and the public screen
asks staff to set the time. The technician sets it on the touchscreen page: a signed
``station.clock_set`` with the old and new time that dates the flagged check-in, and from
then on queue numbers and the working lists follow the set date. Everything runs on a
FakeClock under the StationClock: the machine's clock is never touched.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from kiosk.adapters.clock import FakeClock
from kiosk.adapters.station_clock import StationClock
from kiosk.bootstrap import build_core
from kiosk.demo.data import DEMO_TECHNICIAN, seed_demo
from kiosk.domain.chain import verify_chain
from kiosk.domain.outcomes import CheckedIn
from kiosk.station.clock_keeper import ClockKeeper
from kiosk.store import queries
from kiosk.store.rows import rows
from kiosk.store.sqlite import iter_events
from tests.web.staff_kiosk import Kiosk

DAY_1 = dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
SET_TO = dt.datetime(2026, 11, 29, 8, 30)  # what the technician reads off her phone (local)


def station_clock(base: FakeClock, tmp_path, ntp: bool, set_system=None) -> StationClock:
    flag = tmp_path / "run" / "synchronized"
    flag.parent.mkdir(exist_ok=True)
    if ntp:
        flag.touch()
    else:
        flag.unlink(missing_ok=True)
    return StationClock(base, ntp_flag=flag, rtc_dir=tmp_path / "no-rtc", set_system=set_system)


def tap(kiosk: Kiosk, card) -> CheckedIn:
    outcome = kiosk.tap(card).outcome
    assert isinstance(outcome, CheckedIn), outcome
    return outcome


def csv_name(kiosk: Kiosk) -> str:
    response = kiosk.client.get("/staff/lists/overdue.csv")
    assert response.status_code == 200
    return response.headers["Content-Disposition"]


@pytest.fixture
def restarted(config, tmp_path):
    """(kiosk, base clock, wallet): day 1 run with NTP (two check-ins, 09:00 to 17:00), then a
    boot without network whose clock is two days behind the last event."""
    base = FakeClock(DAY_1, boot_id="boot-1")
    core = build_core(config, clock=station_clock(base, tmp_path, ntp=True))
    cards = seed_demo(core, dt.date(2026, 11, 28))
    kiosk = Kiosk(core)
    assert [tap(kiosk, cards[n]).queue_no for n in ("wang", "li")] == [1, 2]
    base.advance(hours=8)
    kiosk.tap(cards["tech"])  # a last event at 17:00
    last = max(e.wall_time for e in iter_events(core.db))
    core.close()
    base.reboot("boot-2", wall=dt.datetime.fromisoformat(last.replace("Z", "+00:00"))
                - dt.timedelta(days=2))
    core = build_core(config, clock=station_clock(base, tmp_path, ntp=False,
                                                  set_system=base.set))
    kiosk = Kiosk(core)
    yield kiosk, base, cards
    core.close()


def test_a_station_two_days_behind_its_log_takes_no_checkin_under_the_old_date(restarted):
    kiosk, base, cards = restarted
    core = kiosk.core
    assert core.clock.source() == "not_set"
    assert core.clock.now() > base.now() + dt.timedelta(days=2) - dt.timedelta(minutes=1)
    keeper = ClockKeeper(core.clock, core.clocks, kiosk.hub.clock_status)
    assert keeper.tick() is False  # the day's end waits for a set clock
    assert 'id="clock-not-set"' in kiosk.client.get("/").get_data(as_text=True)

    zhang = tap(kiosk, cards["zhang"])
    assert zhang.local_date == "2026-11-28" and zhang.queue_no == 3  # the log's day, not the 26th
    event = kiosk.events("checkin.created")[-1]
    assert event.payload["time_unconfirmed"] is True and event.boot_id == "boot-2"
    row = rows(core.db, "SELECT * FROM checkins WHERE id = ?", (zhang.checkin_id,))[0]
    assert row["time_unconfirmed"] == 1 and row["local_date"] == "2026-11-28"
    assert all("2026-11-26" not in e.payload.get("local_date", "") for e in iter_events(core.db))


def test_the_technicians_setting_is_signed_and_the_queue_and_lists_follow_it(restarted):
    kiosk, base, cards = restarted
    core = kiosk.core
    zhang = tap(kiosk, cards["zhang"])  # flagged, on the guessed day (the 28th)
    base.advance(minutes=40)  # the technician arrives 40 minutes later
    login = kiosk.login(cards["tech"], DEMO_TECHNICIAN[3])
    assert login.headers["Location"].endswith("/staff/clock")  # she is asked first
    assert "2026-11-28" in csv_name(kiosk)  # until set, the lists follow the guessed day
    page = kiosk.client.get("/staff/clock").get_data(as_text=True)
    assert 'id="set-clock"' in page and 'id="year-up"' in page

    refused = kiosk.post("/staff/clock", year="2026", month="11", day="20", hour="8", minute="0")
    assert refused.status_code == 400 and "更晚" in refused.get_data(as_text=True)  # behind the log
    done = kiosk.post("/staff/clock", year=str(SET_TO.year), month=str(SET_TO.month),
                      day=str(SET_TO.day), hour=str(SET_TO.hour), minute=str(SET_TO.minute))
    assert done.status_code == 302 and "done=system" in done.headers["Location"]
    assert core.clock.source() == "technician"
    assert base.now() == SET_TO.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))  # set for real

    setting = kiosk.events("station.clock_set")[-1]
    assert verify_chain(iter_events(core.db), core.key.public).problems == []
    assert setting.payload["source"] == "technician" and setting.payload["by"]
    assert setting.payload["old"] < "2026-11-28T10:00" and setting.payload["new"] == "2026-11-29T00:30:00+00:00"
    dated = setting.payload["checkins"]
    assert [(d["checkin_id"], d["from_date"], d["local_date"], d["queue_no"]) for d in dated] == [
        (zhang.checkin_id, "2026-11-28", "2026-11-29", 3)]  # she keeps the number on her receipt
    assert dated[0]["checked_in_at"] == "2026-11-28T23:50:00+00:00"  # 40 minutes before the setting

    assert core.queue.today() == "2026-11-29"
    assert "overdue-2026-11-29.csv" in csv_name(kiosk)
    lines = list(csv.reader(io.StringIO(kiosk.client.get("/staff/lists/overdue.csv")
                                        .get_data(as_text=True).lstrip("\ufeff"))))
    expected = queries.work_list(core.db, "overdue", dt.date(2026, 11, 29)).rows
    assert expected and str(expected[0]["days_overdue"]) in lines[-len(expected)]
    li = tap(kiosk, cards["li"])  # checked in on the 28th already: the 29th is a new day
    assert (li.local_date, li.queue_no, li.repeat) == ("2026-11-29", 4, False)
    with core.uow() as uow:
        assert [(e.queue_no, e.local_date) for e in uow.queue.day("2026-11-29")] == [
            (3, "2026-11-29"), (4, "2026-11-29")]
        assert [e.queue_no for e in uow.queue.day("2026-11-28")] == [1, 2]
    assert "time_unconfirmed" not in kiosk.events("checkin.created")[-1].payload


def test_ntp_arriving_later_records_the_setting_and_dates_the_checkins(restarted, tmp_path):
    """No technician needed when the network comes back: the keeper sees NTP vouch, records
    ``station.clock_set`` (source ntp) and the flagged check-in moves to its real day."""
    kiosk, base, cards = restarted
    core = kiosk.core
    keeper = ClockKeeper(core.clock, core.clocks, kiosk.hub.clock_status)
    assert keeper.tick() is False
    zhang = tap(kiosk, cards["zhang"])
    base.advance(minutes=10)
    base.set(dt.datetime(2026, 11, 29, 0, 10, tzinfo=dt.UTC))  # timesyncd steps the clock
    (tmp_path / "run" / "synchronized").touch()
    base.advance(seconds=3)
    assert keeper.tick() is True and kiosk.hub.status.clock == "ntp"
    setting = kiosk.events("station.clock_set")[-1]
    assert setting.payload["source"] == "ntp" and "by" not in setting.payload
    assert setting.payload["checkins"][0]["checkin_id"] == zhang.checkin_id
    assert setting.payload["checkins"][0]["local_date"] == "2026-11-29"
    base.advance(seconds=3)
    assert keeper.tick() is True and len(kiosk.events("station.clock_set")) == 1  # once


def test_the_queue_rebuilt_from_the_log_follows_the_dating(restarted):
    kiosk, base, cards = restarted
    from kiosk.domain.queue import replay
    zhang = tap(kiosk, cards["zhang"])
    kiosk.core.clocks.set(dt.datetime(2026, 11, 29, 0, 30, tzinfo=dt.UTC), by="t")
    events = list(iter_events(kiosk.core.db))
    assert zhang.checkin_id in replay(events, "2026-11-29", 2).entries
    assert zhang.checkin_id not in replay(events, "2026-11-28", 2).entries


def test_a_setting_the_station_cannot_make_is_kept_as_an_offset(config, tmp_path):
    """Where the system clock cannot be set (no timedated, polkit says no) the station keeps
    the difference in its Clock: the machine's clock stays wrong, the station's is right."""
    from kiosk.adapters.timedated import ClockNotSettable

    def refuse(_when):
        raise ClockNotSettable("polkit said no")
    base = FakeClock(dt.datetime(2026, 11, 1, tzinfo=dt.UTC), boot_id="boot-x")
    core = build_core(config, clock=station_clock(base, tmp_path, ntp=False, set_system=refuse))
    try:
        result = core.clocks.set(dt.datetime(2026, 11, 29, 0, 30, tzinfo=dt.UTC), by="t")
        assert result.method == "offset" and base.now().day == 1
        base.advance(hours=2)
        assert core.clock.now() == dt.datetime(2026, 11, 29, 2, 30, tzinfo=dt.UTC)
        assert core.queue.today() == "2026-11-29"
    finally:
        core.close()
    again = build_core(config, clock=station_clock(base, tmp_path, ntp=False))  # same boot
    try:
        assert again.clock.source() == "technician"
        assert abs(again.clock.now() - dt.datetime(2026, 11, 29, 2, 30, tzinfo=dt.UTC)) < dt.timedelta(seconds=1)
    finally:
        again.close()
