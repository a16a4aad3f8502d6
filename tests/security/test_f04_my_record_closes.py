"""Finding 4: "my record" stayed on the public screen up to 120 s (the staff idle time).

In Debian's Chromium with real taps through pcscd: her record closes after ``ui.idle_seconds``
like any public screen, and on the next tap; once closed its link no longer opens it.
"""

import time

import pytest

from kiosk.config.loader import load_config
from kiosk.keys import generate_key_file
from kiosk.testing.station import seed_residents, write_station_config
from tests.browser.chromium import free_port, open_page, tap, wait_screen
from tests.browser.station_rig import station_in_chromium

pytestmark = [pytest.mark.pcsc, pytest.mark.browser]
# Long enough that "closed by the next tap" (waited for 2 s less than this) cannot be the idle
# timeout closing it, with room for a loaded CI machine (at 4 s and 3 s, one run missed it).
IDLE = 8


@pytest.fixture(scope="module")
def rig(pcscd, tmp_path_factory):
    config_path = write_station_config(tmp_path_factory.mktemp("f04"), pcscd,
                                       ui_port=free_port(), idle_seconds=IDLE)
    generate_key_file(load_config(config_path).station.key_file)
    cards = seed_residents(config_path, 3)
    with station_in_chromium(pcscd, config_path) as (station, browser, driver):
        yield station, browser, driver, cards


def open_my_record(page, driver, card) -> str:
    tap(driver, card)
    wait_screen(page, "checked_in")
    page.click("#my-record")
    page.wait_for_selector("#my-upcoming")
    return page.url


def test_f04_my_record_closes_after_idle_seconds(rig):
    station, browser, driver, cards = rig
    page = open_page(browser, station.screen_url)
    url = open_my_record(page, driver, cards[0])
    opened = time.monotonic()
    page.wait_for_selector("#screen", timeout=(IDLE + 4) * 1000)  # back on the public screen
    assert time.monotonic() - opened < IDLE + 3
    assert "/me/" not in page.url
    again = browser.new_page()  # and the link is spent: "back" cannot bring her record back
    response = again.goto(url)
    assert response.status == 404 and again.query_selector("#my-upcoming") is None
    again.close()
    page.close()


def test_f04_my_record_closes_on_the_next_tap(rig):
    station, browser, driver, cards = rig
    page = open_page(browser, station.screen_url)
    url = open_my_record(page, driver, cards[1])
    tap(driver, cards[2])
    page.wait_for_selector("#screen", timeout=(IDLE - 2) * 1000)  # before idle could close it
    assert "/me/" not in page.url
    assert browser.new_page().goto(url).status == 404
    page.close()
