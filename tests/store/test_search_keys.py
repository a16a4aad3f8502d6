"""Residents found by characters, full pinyin and pinyin initials (issue 15), through the real
registry, the SQLite store and its migration; the readings expected are written here by hand,
not asked of pypinyin, so the tests check the search against what a technician would type."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.domain.registry import Registration
from kiosk.store import search_keys
from kiosk.store.database import connect_writer, open_database
from kiosk.store.migrations import migrations
from kiosk.store.queries import search_residents
from kiosk.store.roster import SqliteRoster

# Surnames with every reading a technician may type for them (the polyphonic ones first).
SURNAMES = {
    "单": ("shan", "dan"), "曾": ("zeng", "ceng"), "解": ("xie", "jie"), "区": ("ou", "qu"),
    "仇": ("qiu", "chou"), "朴": ("piao", "pu"), "查": ("zha", "cha"), "覃": ("qin", "tan"),
    "盖": ("gai", "ge"), "乐": ("le", "yue"), "尉": ("wei", "yu"), "翟": ("zhai", "di"),
    "王": ("wang",), "李": ("li",), "张": ("zhang",), "刘": ("liu",), "陈": ("chen",),
    "杨": ("yang",), "黄": ("huang",), "赵": ("zhao",), "吴": ("wu",), "周": ("zhou",),
    "吕": ("lv",), "徐": ("xu",), "孙": ("sun",), "马": ("ma",), "朱": ("zhu",),
}
GIVEN = {"秀": "xiu", "华": "hua", "明": "ming", "丽": "li", "伟": "wei", "芳": "fang",
         "军": "jun", "英": "ying", "敏": "min", "静": "jing", "强": "qiang", "磊": "lei",
         "洋": "yang", "艳": "yan", "勇": "yong", "娟": "juan", "霞": "xia", "平": "ping",
         "刚": "gang", "桂": "gui", "兰": "lan", "梅": "mei", "红": "hong", "玉": "yu"}


def register(core, name: str) -> str:
    return core.registry.register(Registration(name), by="tech-1").id


def found(core, text: str) -> set[str]:
    return {r["id"] for r in search_residents(core.db, core.registry.search(text), limit=1000)}


@pytest.mark.parametrize("typed", ["王秀华", "王秀", "秀华", "wangxiuhua", "wangxiu", "wxh", "WXH",
                                   "Wang Xiuhua", "wáng xiù huá", "ｗｘｈ", "wx"])
def test_wang_xiuhua_by_characters_pinyin_and_initials(core, typed):
    her, other = register(core, "王秀华"), register(core, "李明")
    assert her in found(core, typed) and other not in found(core, typed)


def test_polyphonic_surnames_by_each_reading(core):
    for surname, heard in SURNAMES.items():
        if len(heard) < 2:
            continue
        her = register(core, surname + "秀华")
        for reading in heard:
            assert her in found(core, reading + "xiuhua"), (surname, reading)
            assert her in found(core, reading[0] + "xh"), (surname, reading)


def test_a_character_pypinyin_does_not_know_matches_itself(core):
    from pypinyin import pinyin
    assert pinyin("\U0002a6d6", errors="ignore") == []  # 𪛖: still unknown to pypinyin
    her = register(core, "王\U0002a6d6华")
    for typed in ("王\U0002a6d6", "\U0002a6d6", "\U0002a6d6华", "w\U0002a6d6h", "wh", "wanghua",
                  "wang\U0002a6d6hua"):
        assert her in found(core, typed), typed
    assert her not in found(core, "wxh")


def test_ji_in_wang_ji_hua_has_its_reading():
    from pypinyin import pinyin
    assert pinyin("\U00020bb7", errors="ignore") == [], "pypinyin knows 𠮷 now: drop EXTRA_READINGS"
    assert {"wjh", "wangjihua", "王\U00020bb7华", "\U00020bb7华"} <= search_keys.name_keys("王\U00020bb7华")


def test_readings_stay_bounded_for_many_polyphonic_characters():
    keys = search_keys.name_keys("单曾解区仇朴查覃盖乐尉")
    reading_keys = [k for k in keys if k.isascii()]
    assert len(reading_keys) <= 2 * search_keys.MAX_READINGS
    per_char = search_keys.readings("单曾解区仇朴查覃盖乐尉")
    rest = "".join(o[0] for o in per_char[1:])
    assert per_char[0][0] == "shan" and "shan" + rest in keys  # every first reading, the surname's
    for reading in ("dan", "chan"):  # and every single change of the surname
        assert reading + rest in keys


def test_a_surname_of_two_readings_keeps_them_both_to_itself():
    """乐 (yue, le) and 尉 (wei, yu) are found by each reading, and the given name keeps its own
    (until keys 3/, 乐明's 明 took le: `yuele`)."""
    for name, surname, first in (("乐明", ("yue", "le"), "ming"), ("尉秀", ("wei", "yu"), "xiu")):
        keys = search_keys.name_keys(name)
        per_char = search_keys.readings(name)
        assert tuple(per_char[0][:2]) == surname and per_char[1][0] == first, per_char
        for reading in surname:
            assert {reading + first, reading[0] + first[0]} <= keys
        assert not {"yuele", "weiyu", "yl", "wy"} & keys, sorted(keys)
    assert [r[0] for r in search_keys.readings("尉迟明")] == ["yu", "chi", "ming"]  # one each


def test_ids_and_phones_are_never_keys_and_id_search_still_works(core):
    her = core.registry.register(Registration("王秀华", "1990-03-07", "东湾村", "13700001111",
                                              consent=True), by="tech-1")
    keys = {k for (k,) in core.db.execute("SELECT key FROM resident_search_keys")}
    assert keys and not any("1370" in k for k in keys)
    assert found(core, "13700001111") == {her.id}
    assert found(core, her.id) == {her.id}  # a resident id typed as it is


def test_keys_follow_a_correction(core):
    her = register(core, "王秀华")
    core.registry.correct(her, {"name": "单丽"}, by="tech-1")
    assert her in found(core, "dl") and her in found(core, "shanli")
    assert her not in found(core, "wxh") and her not in found(core, "王")


def test_roster_residents_and_corrections_are_found(core):
    """A visitor's record (a lookup at the county) and a correction from her home station."""
    roster = SqliteRoster(core.db)
    page = {"stations": {}, "county_time": "2026-11-28T01:00:00Z", "next": 2, "entries": []}
    with core.db.conn:
        roster.apply_entries([{"station_id": "other-st", "seq": 1, "type": "resident.registered",
                               "data": {"id": "res-away", "name": "曾国华"}}], "own-st", {},
                             page["county_time"], admit=frozenset({"res-away"}))
    assert "res-away" in found(core, "zgh") and "res-away" in found(core, "cengguohua")
    page["entries"] = [{"station_id": "other-st", "seq": 2, "type": "resident.corrected",
                        "data": {"resident_id": "res-away", "changes": {"name": "解明"}}}]
    with core.db.conn:
        roster.apply_page(page, "own-st", {})
    assert "res-away" in found(core, "xm") and "res-away" not in found(core, "zgh")


def test_the_migration_backfills_existing_residents(tmp_path):
    old = connect_writer(tmp_path / "k.db")
    migrations.apply(old, stop_before="m016_resident_search_keys")
    old.execute("INSERT INTO residents (id, name) VALUES ('r-old', '单秀华')")
    old.conn.commit()
    old.conn.close()
    db = open_database(tmp_path / "k.db")
    keys = {k for (k,) in db.execute("SELECT key FROM resident_search_keys WHERE resident_id = 'r-old'")}
    assert {"sxh", "dxh", "shanxiuhua", "单秀华", "秀华"} <= keys
    assert search_keys.keys_current(db)


def test_a_new_recipe_rebuilds_the_keys_at_start(tmp_path, monkeypatch):
    db = open_database(tmp_path / "k.db")
    db.execute("INSERT INTO residents (id, name) VALUES ('r-1', '王秀华')")  # no keys yet
    db.conn.commit()
    db.conn.close()
    monkeypatch.setattr(search_keys, "KEYS_VERSION", "test-next")
    db = open_database(tmp_path / "k.db")
    assert db.execute("SELECT COUNT(*) FROM resident_search_keys WHERE key = 'wxh'").fetchone()[0] == 1


names = st.tuples(st.sampled_from(sorted(SURNAMES)),
                  st.lists(st.sampled_from(sorted(GIVEN)), min_size=1, max_size=2))


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(names, min_size=1, max_size=8))
def test_property_initials_and_full_pinyin_find_each_resident(core, names):
    """Random names of common and polyphonic surnames: every reading of the surname, spelled in
    full or by initials, finds her (among the residents registered so far)."""
    for surname, given_chars in names:
        her = register(core, surname + "".join(given_chars))
        given_pinyin = [GIVEN[c] for c in given_chars]
        for reading in SURNAMES[surname]:
            full = reading + "".join(given_pinyin)
            initials = reading[0] + "".join(p[0] for p in given_pinyin)
            assert her in found(core, full), (surname, given_chars, full)
            assert her in found(core, initials), (surname, given_chars, initials)
            assert her in found(core, initials.upper())
        assert her in found(core, surname + given_chars[0])
