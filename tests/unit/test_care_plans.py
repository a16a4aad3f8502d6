"""Care plans as data: the shipped examples load, and schedules fall where the guidance says."""

import datetime as dt

import pytest

from kiosk.config.care_plans import load_plans
from kiosk.domain.care_plans import PlanError, parse_plans, schedule
from kiosk.domain.model import FollowUpStatus

LMP = dt.date(2026, 6, 1)


@pytest.fixture(scope="module")
def plans():
    return load_plans()


def test_shipped_plans_are_marked_as_examples(plans):
    assert set(plans) == {"prenatal", "postpartum", "iud-followup", "contraceptive-supply",
                          "pre-pregnancy"}
    assert all(p.example and p.source for p in plans.values())


def test_prenatal_schedule_follows_the_public_schedule(plans):
    items = schedule(plans["prenatal"], {"last_menstrual_period": LMP}, "r1", "enrol-1")
    assert len(items) == 5
    first = items[0]
    assert dt.date.fromisoformat(first.latest) - LMP < dt.timedelta(weeks=13)  # before 13 weeks
    weeks = [(dt.date.fromisoformat(i.due) - LMP).days // 7 for i in items]
    assert 16 <= weeks[1] <= 20 and 21 <= weeks[2] <= 24  # two in mid pregnancy
    assert 28 <= weeks[3] <= 36 and 37 <= weeks[4] <= 40  # two in late pregnancy
    assert first.id == "enrol-1-visit-1" and first.resident_id == "r1"


def test_postpartum_uses_discharge_and_delivery_dates(plans):
    delivery, discharge = dt.date(2027, 3, 1), dt.date(2027, 3, 3)
    home, check = schedule(plans["postpartum"], {"delivery_date": delivery,
                                                 "discharge_date": discharge}, "r1", "pp")
    assert (home.earliest, home.latest) == ("2027-03-06", "2027-03-10")  # 3-7 days after discharge
    assert check.due == "2027-04-12"  # 42 days after delivery


def test_iud_followups_at_1_3_6_12_months(plans):
    items = schedule(plans["iud-followup"], {"procedure_date": dt.date(2026, 1, 10)}, "r1", "iud")
    assert [i.due for i in items] == ["2026-02-09", "2026-04-10", "2026-07-09", "2027-01-10"]


def test_supply_pickups_repeat(plans):
    items = schedule(plans["contraceptive-supply"], {"enrolment_date": dt.date(2026, 1, 1)}, "r", "s")
    assert [i.id for i in items] == [f"s-pickup-{n}" for n in (1, 2, 3, 4)]
    assert items[1].due == "2026-06-30"


def test_schedule_feeds_follow_up_status(plans):
    items = schedule(plans["prenatal"], {"last_menstrual_period": LMP}, "r1", "e")
    status = FollowUpStatus.from_items(items, LMP + dt.timedelta(days=100))
    assert status.overdue == (items[0],) and status.next_item == items[1]


def test_missing_anchor_is_named(plans):
    with pytest.raises(PlanError, match="delivery_date"):
        schedule(plans["postpartum"], {"discharge_date": LMP}, "r1", "x")


@pytest.mark.parametrize("item,message", [
    ({"code": "a", "title": "t", "earliest_days": 5, "due_days": 1, "latest_days": 9},
     "earliest_days <= due_days"),
    ({"code": "a", "title": "t", "earliest_days": 1, "due_days": 2}, "latest_days"),
    ({"code": "a", "title": "t", "earliest_days": "1", "due_days": 2, "latest_days": 3}, "must be int"),
])
def test_bad_plan_entries_name_the_place(item, message):
    data = {"plans": [{"id": "p", "name": "n", "anchor": "x", "source": "s", "items": [item]}]}
    with pytest.raises(PlanError, match=message) as info:
        parse_plans(data)
    assert "plan 'p'.items[0]" in str(info.value)


def test_a_station_can_replace_the_file(tmp_path):
    own = tmp_path / "plans.toml"
    own.write_text('[[plans]]\nid = "flu"\nname = "流感疫苗 Flu vaccine"\nanchor = "enrolment_date"\n'
                   'source = "county list"\nitems = [{ code = "dose", title = "接种 Dose", '
                   'earliest_days = 0, due_days = 7, latest_days = 30 }]\n', encoding="utf-8")
    plans = load_plans(own)
    assert list(plans) == ["flu"] and not plans["flu"].example
    with pytest.raises(PlanError, match="No such file"):
        load_plans(tmp_path / "missing.toml")


def test_config_points_at_the_station_plans_file(tmp_path):
    from kiosk.config.loader import parse_config
    config = parse_config({"station": {"id": "st-1"}, "care": {"plans_file": "plans.toml"}},
                          base=tmp_path)
    assert config.care.plans_file == tmp_path / "plans.toml"
    assert parse_config({"station": {"id": "st-1"}}).care.plans_file is None


PLAN = ('[[plans]]\nid = "flu"\nname = {name}\nanchor = "enrolment_date"\nsource = "county list"\n'
        'items = [{{ code = "dose", title = {title}, earliest_days = 0, due_days = 7, '
        'latest_days = 30 }}]\n')


@pytest.mark.parametrize("name,title", [
    ('{ zh = "流感疫苗", en = "Flu vaccine" }', '{ zh = "接种", en = "Dose" }'),  # per language
    ('"流感疫苗 Flu vaccine"', '"接种 Dose"'),  # an older file's single strings
])
def test_each_language_gets_its_own_title(tmp_path, name, title):
    own = tmp_path / "plans.toml"
    own.write_text(PLAN.format(name=name, title=title), encoding="utf-8")
    plan = load_plans(own)["flu"]
    assert (plan.names.shown("zh_Hans_CN"), plan.names.shown("en")) == ("流感疫苗", "Flu vaccine")
    item = plan.items[0]
    assert (item.titles.shown("zh_Hans_CN"), item.titles.shown("en")) == ("接种", "Dose")
    assert item.title == "接种 Dose" and plan.name == "流感疫苗 Flu vaccine"  # stored, printed
    enrolled = schedule(plan, {"enrolment_date": LMP}, "r1", "e")[0]
    assert enrolled.title == "接种 Dose"


@pytest.mark.parametrize("text,zh,en", [
    ("孕中期检查 Mid-pregnancy check (16-20 wk)", "孕中期检查", "Mid-pregnancy check (16-20 wk)"),
    ("产后42天检查 42-day postpartum check", "产后42天检查", "42-day postpartum check"),
    ("乙肝疫苗 第2针", "乙肝疫苗 第2针", "乙肝疫苗 第2针"),  # Chinese only: the same in both
    ("HPV 疫苗", "HPV 疫苗", "HPV 疫苗"),
    ("Flu shot", "Flu shot", "Flu shot"),
])
def test_a_single_title_splits_only_when_it_is_chinese_then_english(text, zh, en):
    from kiosk.domain.care_plans import Title
    assert (Title.from_text(text).zh, Title.from_text(text).en) == (zh, en)


def test_a_stored_title_is_shown_from_the_plan_file_or_else_as_stored(plans):
    from kiosk.domain.care_plans import shown_title
    assert shown_title(plans, "prenatal", "visit-2", "anything", "en") == "Mid-pregnancy check (16-20 wk)"
    assert shown_title(plans, "prenatal", "visit-2", "anything", "zh_Hans_CN") == "孕中期检查（16-20周）"
    assert shown_title(plans, "elsewhere", "x", "接种 Dose", "en") == "Dose"  # another station's plan
    assert shown_title(plans, "prenatal", "visit-2", "", "en") == ""  # blanked for the public screen


@pytest.mark.parametrize("title,message", [
    ('{ zh = "接种" }', "title.en: must be a non-empty string"),
    ('{ zh = "接种", en = "Dose", fr = "Dose" }', "unknown language 'fr'"),
    ("3", "must be a string or"),
])
def test_bad_titles_name_the_place(title, message):
    import tomllib
    data = tomllib.loads(PLAN.format(name='"流感疫苗"', title=title))
    with pytest.raises(PlanError, match=message) as info:
        parse_plans(data)
    assert "plan 'flu'.items[0]" in str(info.value)


def test_views_are_grouped_by_technician_and_local_day():
    from kiosk.store.queries import ViewsOnADay, views_by_day
    views = [{"at": at, "technician": who} for at, who in [
        ("2026-11-28T09:00:00+00:00", "赵"), ("2026-11-28T02:00:00+00:00", "赵"),
        ("2026-11-28T01:00:00+00:00", "钱"), ("2026-11-27T17:00:00+00:00", "赵"),  # 01:00 local
        ("2026-11-27T15:00:00+00:00", "赵")]]  # 23:00 local, the day before
    assert views_by_day(views, "Asia/Shanghai") == [
        ViewsOnADay("2026-11-28", "赵", 3), ViewsOnADay("2026-11-28", "钱", 1),
        ViewsOnADay("2026-11-27", "赵", 1)]
