import datetime as dt

import pytest

from kiosk.domain.cards import parse_uid, uid_fingerprint, uid_hash
from kiosk.domain.model import CarePlanItem, FollowUpStatus, local_date, mask_name


@pytest.mark.parametrize("name,masked", [("王秀华", "王*华"), ("李明", "李*"), ("张𠮷祥", "张*祥"),
                                         ("欧阳娜娜", "欧**娜"), ("王", "*"), ("Anna", "A**a")])
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def item(earliest, due, latest, **kw):
    return CarePlanItem("i", "r", "plan", "title", earliest, due, latest, **kw)


def test_care_item_status_follows_window():
    it = item("2026-11-10", "2026-11-15", "2026-11-20")
    assert it.status(dt.date(2026, 11, 9)) == "upcoming"
    assert it.status(dt.date(2026, 11, 10)) == "due"
    assert it.status(dt.date(2026, 11, 20)) == "due"
    assert it.status(dt.date(2026, 11, 21)) == "overdue"
    assert item("2026-11-10", "2026-11-15", "2026-11-20", declined_on="2026-11-11").status(
        dt.date(2026, 12, 1)) == "declined"


def test_follow_up_status_picks_next_and_overdue():
    today = dt.date(2026, 11, 28)
    late = item("2026-10-01", "2026-10-05", "2026-10-10")
    soon = item("2026-11-25", "2026-12-01", "2026-12-08")
    later = item("2026-12-20", "2027-01-01", "2027-01-08")
    status = FollowUpStatus.from_items([later, late, soon], today)
    assert status.next_item == soon and status.overdue == (late,)


def test_local_date_uses_station_time_zone():
    late_utc = dt.datetime(2026, 11, 28, 17, 0, tzinfo=dt.UTC)  # 01:00 next day in Shanghai
    assert local_date(late_utc, "Asia/Shanghai") == dt.date(2026, 11, 29)
    assert local_date(late_utc, "UTC") == dt.date(2026, 11, 28)


def test_uid_parsing_and_hashing():
    assert parse_uid("04:a1:b2:c3") == bytes.fromhex("04a1b2c3")
    for bad in ("0102", "0102030405", "zz"):
        with pytest.raises(ValueError):
            parse_uid(bad)
    uid = bytes.fromhex("04a1b2c3")
    assert uid.hex() not in uid_hash(uid) and len(uid_hash(uid)) == 64
    assert uid_fingerprint(uid, b"a") != uid_fingerprint(uid, b"b")
