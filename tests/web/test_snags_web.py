"""The snags of a station's day (issue 21) through the real Flask app and station loop (fake
reader): what the technician's and the resident's pages say. The same day in Chromium at
800x480 is tests/browser/test_browser_snags.py."""

from __future__ import annotations

import csv
import io
import re

import pytest

from kiosk.domain.registry import Registration
from tests.web.staff_kiosk import register

ID = "11010119900307803X"
MASKED = "110***********803X"
CONSENT = "health-data-consent-v1"


def page(response) -> str:
    return response.get_data(as_text=True)


def residents(core) -> int:
    return core.db.execute("SELECT COUNT(*) FROM residents").fetchone()[0]


@pytest.mark.parametrize("consent", [CONSENT, ""])
def test_a_duplicate_id_is_refused_with_or_without_consent_and_never_shown_whole(
        kiosk, tech_card, core, consent):
    kiosk.login(tech_card)
    first = register(kiosk, "王秀华", national_id=ID)
    response = kiosk.post("/staff/residents/new", name="王芳", birth_date="1990-03-07",
                          village="西岭村", national_id=ID, consent=consent)
    text = page(response)
    assert response.status_code == 422 and residents(core) == 1
    assert "已有居民登记了此身份证号" in text or "already registered" in text
    assert MASKED in text and ID not in text and ID.lower() not in text
    assert f'href="/staff/residents/{first}"' in text  # her record, to open instead
    found = page(kiosk.post("/staff/residents", q=ID))  # found by it, not shown again
    assert f'href="/staff/residents/{first}"' in found and ID not in found


def test_a_similar_resident_is_shown_before_a_second_record_and_the_id_travels_as_its_hash(
        kiosk, tech_card, core):
    kiosk.login(tech_card)
    first = register(kiosk, "王秀华", birth_date="1994-03-12", village="东湾村")
    form = {"name": "王秀华", "birth_date": "1994-03-12", "village": "北山村",
            "national_id": ID, "consent": CONSENT}
    shown = kiosk.post("/staff/residents/new", **form)
    text = page(shown)
    assert shown.status_code == 200 and residents(core) == 1  # nothing saved yet
    assert 'id="similar"' in text and f'href="/staff/residents/{first}"' in text
    assert MASKED in text and ID not in text  # the typed ID is not filled in again
    carried = dict(re.findall(r'name="(id_hash|id_masked)" value="([^"]+)"', text))
    assert carried["id_hash"] == core.registry.id_hash(ID)
    # same name in the same village also counts; a different village and birth date does not
    assert 'id="similar"' in page(kiosk.post("/staff/residents/new", name="王秀华",
                                             village="东湾村", consent=""))
    assert register(kiosk, "王秀华", birth_date="1960-01-01", village="北山村")

    goes_on = kiosk.post("/staff/residents/new", **{**form, "national_id": ""}, **carried,
                         not_duplicate="1")
    assert goes_on.status_code == 302
    second = goes_on.headers["Location"].rsplit("/", 1)[-1]
    stored = core.db.execute("SELECT national_id_hash FROM residents WHERE id = ?",
                             (second,)).fetchone()[0]
    assert stored == core.registry.id_hash(ID)
    again = kiosk.post("/staff/residents/new", name="李明", national_id=ID, consent="")
    assert again.status_code == 422 and f"/staff/residents/{second}" in page(again)


def test_the_fields_not_kept_without_consent_are_named_before_and_after_saving(
        kiosk, tech_card, core):
    kiosk.login(tech_card)
    form = page(kiosk.client.get("/staff/residents/new"))
    assert re.search(r'id="not-kept" role="status" hidden', form)  # nothing typed yet
    assert 'src="/static/register.js"' in form  # names them as she types
    saved = kiosk.post("/staff/residents/new", name="陈红", birth_date="1980-05-01",
                       village="东湾村", phone="", national_id="", consent="")
    assert saved.status_code == 302
    record = page(kiosk.client.get(saved.headers["Location"]))
    shown = re.search(r'<p class="done" role="status" id="registered">(.*?)</p>', record, re.S)
    assert shown and "已登记" in shown.group(1) and "陈红" in shown.group(1)
    assert "出生日期" in shown.group(1) and "村" in shown.group(1) and "电话" not in shown.group(1)
    assert 'id="registered"' not in page(kiosk.client.get("/staff/residents"))
    # said once: back on her record after issuing a card or enrolling her, it is not said again
    assert 'id="registered"' not in page(kiosk.client.get(saved.headers["Location"]))


def test_log_out_never_brings_back_the_pin_pad(kiosk, tech_card):
    kiosk.tap(tech_card)
    assert 'data-screen="pin_entry"' in page(kiosk.client.get("/"))  # the tap shows its PIN pad
    kiosk.login(tech_card)
    assert "pin_entry" not in page(kiosk.client.get("/"))  # used: not shown again
    logout = kiosk.post("/staff/logout")
    assert logout.status_code == 302
    assert any(c.startswith("lang=;") for c in logout.headers.getlist("Set-Cookie"))  # Chinese
    public = page(kiosk.client.get("/"))
    assert "pin_entry" not in public and "赵技术员" not in public and 'name="pin"' not in public
    # to the idle screen, not the last tap of her session (a card she issued: 已发卡, its number)
    assert logout.headers["Location"].endswith("/?idle=1")


def test_english_is_short_lived_and_chinese_comes_back(kiosk):
    english = kiosk.client.get("/lang/en")
    assert "lang=en" in english.headers["Set-Cookie"] and "Max-Age=600" in english.headers["Set-Cookie"]
    assert "Please tap your card" in page(kiosk.client.get("/"))
    chinese = kiosk.client.get("/lang/zh_Hans_CN")
    assert "lang=;" in chinese.headers["Set-Cookie"] and "请刷卡" in page(kiosk.client.get("/"))


def test_titles_in_the_page_language_and_views_grouped(kiosk, tech_card, core):
    kiosk.login(tech_card)
    resident = register(kiosk)
    kiosk.post(f"/staff/residents/{resident}/enrol", plan="prenatal",
               anchor_last_menstrual_period="2026-07-01", action="enrol")
    for _ in range(4):  # a page lists the openings before its own
        chinese = page(kiosk.client.get(f"/staff/residents/{resident}"))
    assert "孕中期检查（16-20周）" in chinese and "Mid-pregnancy" not in chinese
    assert "Prenatal care" not in chinese  # a plan's name too (the other plans' enrol forms)
    assert "免费孕前优生健康检查" in chinese and "Free pre-pregnancy" not in chinese
    views = chinese.split('id="sec-views"')[1]
    assert views.count("赵技术员") == 1 and "查看 3 次" in views  # one line, with the count
    kiosk.client.set_cookie("lang", "en")
    english = page(kiosk.client.get(f"/staff/residents/{resident}"))
    assert "Mid-pregnancy check (16-20 wk)" in english and "孕中期" not in english
    assert "opened 4 times" in english
    exported = page(kiosk.client.get("/staff/lists/due.csv")) + page(
        kiosk.client.get("/staff/lists/overdue.csv"))
    assert "孕" not in exported  # the export follows the reader's language too
    kiosk.client.delete_cookie("lang")


def test_csv_headers_in_chinese_with_a_bom_and_days_overdue_only_when_overdue(kiosk, tech_card):
    kiosk.login(tech_card)
    resident = register(kiosk)
    kiosk.post(f"/staff/residents/{resident}/enrol", plan="prenatal",  # 2026-11-28 is today
               anchor_last_menstrual_period="2026-07-15", action="enrol")

    def export(which: str) -> list[list[str]]:
        response = kiosk.client.get(f"/staff/lists/{which}.csv")
        assert response.data.startswith("\ufeff".encode())  # UTF-8 with a byte order mark
        assert "charset=utf-8" in response.headers["Content-Type"]
        return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))

    due, overdue = export("due"), export("overdue")
    assert due[0] == ["居民编号", "姓名", "村", "电话", "服务项目", "时间窗开始", "应访日期",
                      "时间窗结束", "预约日期", "逾期天数"]
    assert len(due) > 1 and all(row[9] == "" for row in due[1:])  # not overdue: empty
    assert len(overdue) > 1 and all(int(row[9]) > 0 for row in overdue[1:])
    assert due[1][4] == "孕中期检查（16-20周）"


def test_an_id_is_checked_without_consent_and_kept_only_with_it(core):
    from kiosk.domain.registry import DuplicateId
    first = core.registry.register(Registration("王秀华", "1994-03-12", "东湾村", national_id=ID,
                                                consent=True), by="t1")
    for check in (core.registry.check, lambda form: core.registry.register(form, by="t1")):
        with pytest.raises(DuplicateId) as found:
            check(Registration("王芳", national_id=ID))  # no consent: still checked
        assert found.value.resident_id == first.id
    other = core.registry.register(Registration("李明", national_id="110101199003078048"), by="t1")
    assert core.db.execute("SELECT national_id_hash FROM residents WHERE id = ?",
                           (other.id,)).fetchone()[0] is None  # without consent: not kept
