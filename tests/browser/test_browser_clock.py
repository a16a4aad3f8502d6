"""The date-and-time page on the kiosk's 800x480 touchscreen, in Debian's Chromium, by touch.

The station's web app runs in this process on a StationClock over a FakeClock whose newest
event is a day ahead of it (so nothing vouches, whatever this machine's NTP says) and whose
system-clock setter only moves the FakeClock: the test never sets this machine's clock. A
technician session is opened as a tap and PIN would; then only taps: the steppers move the
date and time, the set button sets it, and the station records it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import sync_playwright

from kiosk.adapters.clock import FakeClock
from kiosk.adapters.station_clock import StationClock
from kiosk.bootstrap import build_core
from kiosk.station.hub import ScreenHub
from kiosk.station.services import StationServices
from kiosk.station.staff_desk import StaffDesk
from kiosk.store.sqlite import iter_events
from kiosk.web import create_app
from kiosk.web.guard import COOKIE
from kiosk.web.server import UiServer
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS, check_layout

pytestmark = pytest.mark.browser
LOGGED = dt.datetime(2026, 11, 28, 9, 15, tzinfo=dt.UTC)  # 17:15 in Shanghai: the last event


@pytest.fixture
def station(config, tmp_path):
    base = FakeClock(LOGGED, boot_id="boot-1")
    build_core(config, clock=base).close()  # the log's newest event: 2026-11-28 17:15 local
    base.reboot("boot-2", wall=LOGGED - dt.timedelta(days=1))
    clock = StationClock(base, ntp_flag=tmp_path / "none", rtc_dir=tmp_path / "no-rtc",
                         set_system=base.set)
    core = build_core(config, clock=clock)
    tech = core.staff.add("赵技术员", "246813")
    desk, hub = StaffDesk(120), ScreenHub()
    app = create_app(hub, {"TIMEZONE": config.station.timezone},
                     services=StationServices(core, desk, hub))
    server = UiServer(app, "127.0.0.1", 0)
    server.start()
    session = desk.open_session(tech.id, tech.name)
    yield core, base, f"http://127.0.0.1:{server.port}", session
    server.stop()
    core.close()


def test_a_technician_sets_the_date_and_time_by_touch_at_800x480(station):
    core, base, url, session = station
    assert core.clock.source() == "not_set"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 800, "height": 480}, has_touch=True,
                                          locale="zh-CN")
            context.add_cookies([{"name": COOKIE, "value": session.token, "url": url}])
            page = context.new_page()
            page.goto(f"{url}/staff/clock")
            assert page.locator("#clock-source").get_attribute("data-source") == "not_set"
            check_layout(page, "clock", scroll_y=True)
            button = page.locator("#set-clock").bounding_box()
            assert button and button["y"] + button["height"] <= 480  # no scrolling to set it
            assert page.locator("#day-value").inner_text() == "28"  # starts from the log's day
            page.tap("#day-up")  # the next morning, 08:30
            for _ in range(9):
                page.tap("#hour-up")
            assert page.locator("#hour-value").inner_text() == "02"
            for _ in range(6):
                page.tap("#hour-up")
            for _ in range(15):
                page.tap("#minute-up")
            assert page.locator("#clock-preview").inner_text() == "2026-11-29 周日 08:30"
            page.tap("#set-clock")
            page.wait_for_selector("#clock-done")
            assert page.locator("#clock-source").get_attribute("data-source") == "technician"
            assert page.locator("#nav-clock").count() == 0  # the nav's reminder is gone
        finally:
            browser.close()
    expected = dt.datetime(2026, 11, 29, 0, 30, tzinfo=dt.UTC)
    assert core.clock.source() == "technician"
    assert abs(core.clock.now() - expected) < dt.timedelta(minutes=1)
    assert base.now() == expected  # the "system clock" was set, through the setter
    setting = [e for e in iter_events(core.db) if e.type == "station.clock_set"][-1]
    assert setting.payload["new"] == "2026-11-29T00:30:00+00:00" and setting.payload["method"] == "system"
