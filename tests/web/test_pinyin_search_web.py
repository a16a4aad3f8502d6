"""Pinyin search through the technician's residents page (issue 15): the text typed at
registration, as an input method delivers it, and found again by characters, full pinyin and
initials; the audit event keeps the kind and the count only (tests/security/test_f02_*)."""

from __future__ import annotations

import pytest

from tests.web.staff_kiosk import register


@pytest.mark.parametrize("typed", ["王秀", "wangxiuhua", "wxh", "WXH"])
def test_residents_page_finds_her_by_characters_pinyin_and_initials(kiosk, tech_card, typed):
    kiosk.login(tech_card)
    her = register(kiosk, "王秀华")
    register(kiosk, "单丽")
    page = kiosk.post("/staff/residents", q=typed).get_data(as_text=True)
    assert her in page and "王秀华" in page and "单丽" not in page
    event = kiosk.events("residents.searched")[-1].payload
    assert event == {"kind": "name", "village": "", "results": 1, "by": event["by"]}
    assert typed not in str(event)


def test_polyphonic_surname_and_rare_character_through_the_page(kiosk, tech_card):
    kiosk.login(tech_card)
    shan = register(kiosk, "单丽")
    rare = register(kiosk, "王\U00020bb7华")
    for typed, who in (("sl", shan), ("dl", shan), ("shanli", shan), ("danli", shan),
                       ("wjh", rare), ("\U00020bb7", rare), ("王\U00020bb7", rare)):
        page = kiosk.post("/staff/residents", q=typed).get_data(as_text=True)
        assert who in page, typed
