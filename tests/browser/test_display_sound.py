"""The waiting-room /display in Debian's Chromium when the browser refuses to play by itself.

A TV's browser (like Chromium without a flag) plays sound only after someone touched the
page. Started with such an autoplay policy, /display gets a call, its play() is refused with
NotAllowedError, and instead of dropping the call it shows a large "点击开启声音 / Tap to
turn on sound" button; a tap plays the waiting call. The kiosk's own browser keeps its flag.
The station here is the fake-reader driver with the station's own calling and a real
werkzeug server (no pcscd needed), so the test takes a few seconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.web.server import UiServer
from tests.browser.chromium import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.waiting import wait_until
from tests.web.voice_kiosk import voice_station

pytestmark = [pytest.mark.browser]
GESTURE_REQUIRED = "--autoplay-policy=document-user-activation-required"
UNIT = Path(__file__).resolve().parents[2] / "systemd" / "kiosk-browser.service"


@pytest.fixture
def served(core, config):
    station = voice_station(core, config)
    server = UiServer(station.client.application, "127.0.0.1", 0)
    server.start()
    yield station, f"http://127.0.0.1:{server.port}/"
    server.stop()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        # Playwright adds --autoplay-policy=no-user-gesture-required itself: leave it out
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, GESTURE_REQUIRED],
            ignore_default_args=["--autoplay-policy=no-user-gesture-required"])
        yield chromium
        chromium.close()


def test_a_refused_call_asks_for_a_tap_and_plays_after_it(served, browser):
    station, url = served
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    # Until the browser has refused, the test must not touch the page: every Playwright
    # evaluate or wait counts as a user gesture, after which the browser would play anyway.
    page.goto(url + "display")
    assert wait_until(lambda: station.hub.screens()[0] >= 1)  # its stream is open (seen from the station)
    with page.expect_request("**/voice/1/room1.wav?k=*", timeout=10000):
        station.call_next()  # the page builds the call's Audio and plays it: refused
    button = page.wait_for_selector("#sound-on", state="visible", timeout=5000)
    assert page.get_attribute("body", "data-sound") == "blocked"
    assert page.get_attribute("body", "data-announced") is None  # not counted as played
    assert button.inner_text() == "点击开启声音 / Tap to turn on sound"
    box = button.bounding_box()
    assert box["width"] >= 0.45 * 1280 and box["height"] >= 0.15 * 720  # big, from across the room
    number = page.locator(".room-number[data-queue-no='1']").bounding_box()
    assert number["y"] + number["height"] <= box["y"]  # the called number stays in sight
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "display-tap-for-sound-1280x720.png"))

    button.click()  # a real pointer event: the gesture the browser waited for
    page.wait_for_function("document.body.dataset.sound === 'on'", timeout=10000)  # playing
    assert page.get_attribute("body", "data-announcing") == "1"
    assert page.is_hidden("#sound-on")

    station.call_next()  # the next call waits its turn; no second tap is asked for
    page.wait_for_function("document.body.dataset.calls === '2'", timeout=5000)
    assert page.is_hidden("#sound-on")
    page.close()


def test_the_kiosks_own_browser_keeps_its_autoplay_flag():
    assert "--autoplay-policy=no-user-gesture-required" in UNIT.read_text(encoding="utf-8")
