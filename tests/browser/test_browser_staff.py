"""A technician's day in Chromium, through the real station process and real pcscd.

Logs in with card and PIN, registers a resident with her consent, issues her card
on a virtual card, enrols her and logs a visit; then she taps and sees her new
next date, a copy of her card is refused, her tap ends the technician session,
and a technician locked out by wrong PINs stays locked after a restart.
"""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

from kiosk.config.loader import load_config
from kiosk.keys import generate_key_file
from kiosk.sim.virtual_card import VirtualCard
from kiosk.testing.station import StationProcess, TapDriver, add_technician, write_station_config
from tests.browser.chromium import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, free_port, open_page, wait_screen

pytestmark = [pytest.mark.pcsc, pytest.mark.browser]
PIN, OTHER_PIN = "246813", "135702"


@pytest.fixture(scope="module")
def rig(pcscd, tmp_path_factory):
    if pcscd.proc is None or pcscd.proc.poll() is not None or not pcscd.with_reader:
        pcscd.with_reader = True
        pcscd.start()
    config_path = write_station_config(tmp_path_factory.mktemp("staff"), pcscd,
                                       ui_port=free_port(), idle_seconds=6)
    generate_key_file(load_config(config_path).station.key_file)
    _, tech_card = add_technician(config_path, "赵技术员", PIN, bytes.fromhex("08AABBCC"), "cpu")
    _, other_card = add_technician(config_path, "钱技术员", OTHER_PIN, bytes.fromhex("08AABBCD"),
                                   "mifare")
    station = StationProcess(config_path)
    station.start()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        driver = TapDriver(pcscd)
        yield station, browser, driver, {"tech": tech_card, "other": other_card}
        driver.close()
        browser.close()
    station.stop()


def present(driver, card: VirtualCard) -> None:
    """Tap: place the card, let the station read it, take it away."""
    driver.place(0, card.same_card() if card.kind != "blank" else card)
    driver.slots[0].uid_read.wait(3)
    time.sleep(0.1)
    driver.remove(0)


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"staff-{name}.png"), full_page=True)


def enter_pin(page, pin: str) -> None:
    for digit in pin:
        page.click(f".key[data-key='{digit}']")
    page.click("#pin-ok")


def log_in(page, driver, card, pin: str) -> None:
    present(driver, card)
    wait_screen(page, "pin_entry")
    shot(page, "pin-entry")
    enter_pin(page, pin)


def today_in(station) -> dt.date:
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def test_a_technicians_day(rig):
    station, browser, driver, cards = rig
    page = open_page(browser, station.screen_url)
    log_in(page, driver, cards["tech"], PIN)
    page.wait_for_selector("#checkins-today")
    shot(page, "dashboard")

    page.click("text=居民")
    page.click("#register")
    page.fill("#f-name", "王𠮷华")
    page.fill("#f-birth_date", "1994-03-12")
    page.fill("#f-village", "东湾村")
    page.fill("#f-phone", "13800000000")
    page.check("#f-consent")
    shot(page, "register")
    page.click("#save")
    page.wait_for_selector("#resident-name")
    assert page.inner_text("#resident-name") == "王𠮷华"

    page.click("#issue-card")
    page.wait_for_selector("#issue[data-status='waiting']")
    blank = VirtualCard(bytes.fromhex("04A1B2C3"), "mifare")
    driver.place(0, blank)  # she holds her new card on the reader
    page.wait_for_selector("#issue[data-status='done']", timeout=15000)
    card_no = page.inner_text("#issued-card-no")
    shot(page, "card-issued")
    driver.remove(0)
    assert len(card_no) == 10 and blank.memory[16 * 4:16 * 4 + 4] != b"\x00" * 4

    page.click("text=返回她的档案")
    today = today_in(station)
    lmp = (today - dt.timedelta(days=80)).isoformat()
    page.fill("form[data-plan='prenatal'] input[name='anchor_last_menstrual_period']", lmp)
    page.click("form[data-plan='prenatal'] button[value='enrol']")
    page.wait_for_selector("#items tr[data-item]")
    page.click("#items tr[data-item] >> text=登记随访")
    appointment = today + dt.timedelta(days=20)
    page.fill("#f-note", "血压正常")
    page.fill("#f-next_appointment", appointment.isoformat())
    shot(page, "visit")
    page.click("#save-visit")
    page.wait_for_selector("#visits tr")
    shot(page, "resident")

    # She taps her new card while the technician is still logged in.
    present(driver, blank)
    page.wait_for_url(station.ui_url, timeout=10000)
    wait_screen(page, "checked_in")
    expected = format_date(appointment, "medium", locale="zh_Hans_CN")
    assert expected in page.inner_text("#screen"), page.inner_text("#screen")
    assert "登记随访" not in page.content() and "#logout" not in page.content()
    shot(page, "resident-tap")
    page.click("#my-record")
    page.wait_for_selector("#my-upcoming")
    page.click("[aria-controls=me-views]")  # her record shows one panel at a time
    assert "赵技术员" in page.inner_text("#my-views")
    assert "血压" not in page.content()  # staff notes stay off her view
    shot(page, "my-record")
    page.goto(station.ui_url + "staff/")
    assert page.url.endswith("/staff/login")  # her tap ended the technician session

    page.goto(station.ui_url)
    present(driver, blank.copy_to(bytes.fromhex("04C0FFEE")))
    wait_screen(page, "card_refused")
    shot(page, "card-refused")
    report = next(r for r in reversed(station.all_reports) if r["kind"] == "card_refused")
    assert report["reason"] == "copied"
    page.close()


def test_sixth_wrong_pin_refused_even_after_a_restart(rig):
    station, browser, driver, cards = rig
    page = open_page(browser, station.screen_url)
    log_in(page, driver, cards["other"], "0000")
    for _ in range(4):
        page.wait_for_selector("#pin")
        enter_pin(page, "0000")
    page.wait_for_selector("#login-error")
    assert "5 分钟" in page.inner_text("#login-error")
    page.close()
    station.stop()
    station.start()
    page = open_page(browser, station.screen_url)
    log_in(page, driver, cards["other"], OTHER_PIN)  # the right PIN, 6th try, after a restart
    page.wait_for_selector("#login-error")
    assert "PIN 码错误次数过多" in page.inner_text("#login-error")
    shot(page, "locked")
    page.goto(station.ui_url + "staff/")
    assert page.url.endswith("/staff/login")
    page.close()
