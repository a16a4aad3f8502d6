"""Finding 16: names, villages and notes are NFC, and refuse invisible and text-direction
characters and stacks of combining marks, so two villages cannot look identical; rare
characters (CJK extensions, private use) stay allowed."""

from __future__ import annotations

import unicodedata

import pytest

from kiosk.domain import validation
from kiosk.domain.validation import Invalid

INVISIBLE = ["东\u200b湾村", "东湾村\u200f", "\u061c东湾村", "东湾\U000e0041村", "东\u2066湾村",
             "东\ufeff湾村", "东\u00ad湾村", "东\u2060湾村", "东\u034f湾村", "东湾\ufe0f村"]
ALLOWED = ["𠀀𪚥", "王\U000f0001华", "\ue000村", "Zoë", "Nguyễn", "a\u0301\u0302"]


@pytest.mark.parametrize("value", INVISIBLE)
def test_f16_invisible_and_direction_characters_are_refused(value):
    for check in (lambda v: validation.text("village", v), validation.note):
        with pytest.raises(Invalid) as info:
            check(value)
        assert info.value.message == "This contains invisible or text-direction characters"


def test_f16_more_than_two_combining_marks_in_a_row_are_refused():
    with pytest.raises(Invalid) as info:
        validation.text("name", "Ze\u0334\u0335\u0336")
    assert info.value.message == "Too many accent marks on one character"
    with pytest.raises(Invalid):
        validation.note("ok\n" + "a" + "\u0300" * 40)


@pytest.mark.parametrize("value", ALLOWED)
def test_f16_rare_and_private_use_characters_stay_allowed(value):
    assert validation.text("name", value) == unicodedata.normalize("NFC", value)
    assert validation.note(value + "\n" + value) == unicodedata.normalize("NFC", value + "\n" + value)


def test_f16_names_are_stored_in_nfc():
    assert validation.text("name", "Zoe\u0308") == "Zo\u00eb"


def test_f16_registration_form_says_why_in_chinese_and_english(kiosk, tech_card, core):  # noqa: F811
    kiosk.login(tech_card)
    response = kiosk.post("/staff/residents/new", name="王秀华", birth_date="1994-03-12",
                          village="东湾村\u200b", consent="health-data-consent-v1")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "包含不可见字符或文字方向控制字符" in page and "invisible or text-direction" in page
    assert not core.db.execute("SELECT COUNT(*) FROM residents").fetchone()[0]
