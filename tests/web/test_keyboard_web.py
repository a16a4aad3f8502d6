"""Where the on-screen keyboard is (issue 21): on every technician page of the kiosk's screen,
whose Chromium has no input method, and never at the desk, whose PC has its own. In process
(tests/web/staff_kiosk.py, tests/web/desk_kiosk.py); tests/browser/test_keyboard.py types with it."""

from __future__ import annotations

import pytest

from tests.web.desk_kiosk import DeskKiosk

PAGES_WITH_TEXT = ("/staff/residents", "/staff/residents/new")
OTHER_STAFF_PAGES = ("/staff/", "/staff/lists/due", "/staff/lists/overdue", "/staff/lists/week")


def has_keyboard(page: str) -> bool:
    return 'id="osk"' in page or "keyboard.js" in page


def test_the_kiosk_screen_has_the_keyboard_on_every_technician_page(kiosk, tech_card):
    assert not has_keyboard(kiosk.client.get("/staff/login").get_data(as_text=True))
    assert kiosk.login(tech_card).status_code == 302
    for path in PAGES_WITH_TEXT + OTHER_STAFF_PAGES:
        response = kiosk.client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert has_keyboard(page), path
        assert 'keyboard/pinyin.json' in page and 'aria-label="屏幕键盘"' in page, path
    assert not has_keyboard(kiosk.client.get("/").get_data(as_text=True))  # the public screen


def test_the_candidate_table_is_a_static_file(kiosk):
    response = kiosk.client.get("/static/keyboard/pinyin.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json()["syllables"]["wang"][0][0] == "王"
    response.close()


@pytest.mark.parametrize("path", PAGES_WITH_TEXT + OTHER_STAFF_PAGES)
def test_the_desk_keeps_its_own_input_method(core, tech_card, path):
    desk = DeskKiosk(core)
    assert desk.login(tech_card).status_code == 302
    page = desk.get(path).get_data(as_text=True)
    assert 'data-desk="1"' in page and not has_keyboard(page), path
