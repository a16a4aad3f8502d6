"""Care-plan status, property-based: month ends, leap days and a clock that jumped back.

Status depends only on the item's window and the station-local day the clock
gives; these properties must hold for every plan, anchor date and day.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kiosk.adapters.clock import FakeClock
from kiosk.config.care_plans import load_plans
from kiosk.domain.care_plans import schedule
from kiosk.domain.model import CarePlanItem, FollowUpStatus, local_date

PLANS = load_plans()
ORDER = {"upcoming": 0, "due": 1, "overdue": 2}
days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))
# Anchors that stress the calendar: month ends, 29 February, year ends.
edgy_days = st.one_of(days, st.sampled_from([
    dt.date(2024, 2, 29), dt.date(2028, 2, 29), dt.date(2026, 1, 31), dt.date(2026, 12, 31),
    dt.date(2027, 2, 28), dt.date(2100 - 1, 12, 31), dt.date(2026, 4, 30)]))
plans = st.sampled_from(sorted(PLANS))


def items_for(plan_id: str, anchor: dt.date) -> list[CarePlanItem]:
    plan = PLANS[plan_id]
    return schedule(plan, {name: anchor for name in plan.anchors()}, "r1", "e1")


@given(plans, edgy_days)
def test_windows_are_exact_day_counts_from_the_anchor(plan_id, anchor):
    for spec, item in zip(PLANS[plan_id].items, items_for(plan_id, anchor), strict=False):
        earliest, due, latest = (dt.date.fromisoformat(d) for d in (item.earliest, item.due,
                                                                    item.latest))
        assert (earliest - anchor).days == spec.earliest  # no month or leap-day drift
        assert (due - anchor).days == spec.due and (latest - anchor).days == spec.latest
        assert earliest <= due <= latest


@given(plans, edgy_days, days, days)
def test_status_never_goes_backwards_as_days_pass(plan_id, anchor, day_a, day_b):
    early, late = sorted((day_a, day_b))
    for item in items_for(plan_id, anchor):
        assert ORDER[item.status(early)] <= ORDER[item.status(late)]


@given(plans, edgy_days, days)
def test_status_matches_the_window(plan_id, anchor, today):
    for item in items_for(plan_id, anchor):
        status = item.status(today)
        iso = today.isoformat()
        assert (status == "upcoming") == (iso < item.earliest)
        assert (status == "overdue") == (iso > item.latest)


@given(plans, edgy_days, days, days)
def test_done_and_declined_stay_closed_whatever_the_clock_says(plan_id, anchor, done, today):
    # The clock may have jumped back before the day the visit was logged: still done.
    for item in items_for(plan_id, anchor):
        from dataclasses import replace
        assert replace(item, done_on=done.isoformat()).status(today) == "done"
        assert replace(item, declined_on=done.isoformat()).status(today) == "declined"


@settings(max_examples=200)
@given(st.datetimes(min_value=dt.datetime(2001, 1, 1), max_value=dt.datetime(2098, 1, 1)),
       st.integers(min_value=1, max_value=60 * 24 * 400))
def test_a_clock_jumping_back_moves_the_local_day_back_with_it(start, minutes_back):
    clock = FakeClock(start.replace(tzinfo=dt.UTC))
    before = local_date(clock.now(), "Asia/Shanghai")
    clock.advance(minutes=-minutes_back)
    after = local_date(clock.now(), "Asia/Shanghai")
    assert after <= before  # the status follows the day the clock gives, forwards or back
    item = items_for("prenatal", before - dt.timedelta(days=100))[2]
    assert ORDER[item.status(after)] <= ORDER[item.status(before)]


@given(plans, edgy_days, days)
def test_next_item_is_the_earliest_open_one_and_overdue_are_sorted(plan_id, anchor, today):
    items = items_for(plan_id, anchor)
    status = FollowUpStatus.from_items(items, today)
    open_items = [i for i in items if i.status(today) in ("upcoming", "due")]
    assume(open_items or status.overdue)
    if open_items:
        assert status.next_item.next_date == min(i.next_date for i in open_items)
    else:
        assert status.next_item is None
    assert [i.due for i in status.overdue] == sorted(i.due for i in status.overdue)
    assert all(i.status(today) == "overdue" for i in status.overdue)


@given(st.integers(min_value=2001, max_value=2099))
def test_leap_day_anchor_lands_on_real_dates(year):
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    anchor = dt.date(year, 2, 29) if leap else dt.date(year, 2, 28)
    for item in items_for("postpartum", anchor) + items_for("iud-followup", anchor):
        dt.date.fromisoformat(item.due)  # always a valid calendar day


@pytest.fixture(scope="module")
def list_db(tmp_path_factory):
    from kiosk.store.database import open_database
    db = open_database(tmp_path_factory.mktemp("lists") / "k.db")
    db["residents"].insert({"id": "r1", "name": "王秀华", "village": "东湾村"})
    yield db
    db.conn.close()


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plans, edgy_days, days)
def test_working_lists_agree_with_item_status(list_db, plan_id, anchor, today):
    from kiosk.store.queries import work_list
    items = items_for(plan_id, anchor)
    with list_db.conn:
        list_db.execute("DELETE FROM care_plan_items")
        for item in items:
            list_db["care_plan_items"].insert(vars(item))
    listed = {which: {r["item_id"] for r in work_list(list_db, which, today).rows}
              for which in ("due", "overdue", "week")}
    assert listed["due"] == {i.id for i in items if i.status(today) == "due"}
    assert listed["overdue"] == {i.id for i in items if i.status(today) == "overdue"}
    week_end = (today + dt.timedelta(days=7)).isoformat()
    assert listed["week"] == {i.id for i in items
                              if i.status(today) == "upcoming" and i.earliest <= week_end}
