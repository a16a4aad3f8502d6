"""The snags of a station's day (issue 21), as a technician and a resident meet them on the
kiosk's 800x480 touchscreen: Debian's Chromium started as kiosk-browser.service starts it (its
language), one real station process with real pcscd and a desk reader.

Each test stands alone on the module's station (pytest-xdist may run them on different
workers): the date field reads 年/月/日 and 退出 brings no PIN pad back; registration names what
her consent keeps, shows a resident who may be her, says 已登记 and never shows a duplicate ID in
full; her record fits the screen panel by panel, in her language, with who looked grouped; the
technician's record page reaches every section with one tap; English lasts for one resident;
and 您前面还有 N 人 follows the numbers the desk calls.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from kiosk.bootstrap import build_core
from kiosk.config.loader import load_config
from kiosk.demo.data import DEMO_TECHNICIAN, seed_demo
from kiosk.domain.model import local_date
from kiosk.keys import generate_key_file
from kiosk.testing.station import write_station_config
from tests.browser.chromium import ARTIFACTS, free_port, open_page, tap, wait_screen
from tests.browser.perceived import clipped, small_targets, visible_errors
from tests.browser.station_rig import kiosk_browser_language, station_in_chromium

pytestmark = [pytest.mark.pcsc, pytest.mark.browser]
KIOSK_SLOT, DESK_SLOT = 0, 1
IDLE = 10  # ui.idle_seconds: long enough for the desk's calls, short enough to wait for once
ID = "44030619850512124X"


@pytest.fixture(scope="module")
def rig(pcscd, tmp_path_factory):
    config_path = write_station_config(
        tmp_path_factory.mktemp("snags"), pcscd, ui_port=free_port(), idle_seconds=IDLE,
        extra=(f'\n[reader.roles]\n"{pcscd.reader_names[DESK_SLOT]}" = "desk"\n'
               f'\n[desk]\nenabled = true\nhost = "127.0.0.1"\nport = {free_port()}\n'))
    config = load_config(config_path)
    generate_key_file(config.station.key_file)
    core = build_core(config)
    cards = seed_demo(core, local_date(core.clock.now(), config.station.timezone))
    core.close()
    env, flags = kiosk_browser_language()
    with station_in_chromium(pcscd, config_path, tuple(flags), env) as (station, browser, driver):
        yield station, browser, driver, cards


def fresh(cards, name):
    return cards[name].same_card()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"snags-{name}.png"))


def perceived(page, errors: bool = False) -> list[str]:
    """What is wrong with the page as a person sees it (errors: one is expected)."""
    return (([] if errors else visible_errors(page)) + clipped(page, page_scrolls=True)
            + small_targets(page))


def log_in(page, station, driver, cards) -> None:
    """The technician at the kiosk: her card, then her PIN on the keypad."""
    page.goto(station.screen_url)
    page.wait_for_function("document.body.dataset.connected === 'yes'")
    tap(driver, fresh(cards, "tech"))
    wait_screen(page, "pin_entry")
    for digit in DEMO_TECHNICIAN[3]:
        page.click(f".key[data-key='{digit}']")
    page.click("#pin-ok")
    page.wait_for_selector("#checkins-today")


def log_out(page) -> None:
    page.click("#logout")
    page.wait_for_selector("#screen")


def test_the_date_field_reads_year_month_day_and_log_out_leaves_no_pin_pad(rig):
    station, browser, driver, cards = rig
    env, flags = kiosk_browser_language()
    assert env == {"LANGUAGE": "zh_CN"} and flags == ["--lang=zh-CN"]  # as the unit starts it
    page = open_page(browser, station.screen_url)
    log_in(page, station, driver, cards)
    page.goto(station.ui_url + "staff/residents/new")
    cdp = page.context.new_cdp_session(page)
    tree = cdp.send("Accessibility.getFullAXTree")["nodes"]
    parts = [n["name"]["value"].split()[0] for n in tree
             if n.get("role", {}).get("value") == "spinbutton"]
    assert parts == ["年", "月", "日"], parts  # the birth date, in Chinese order
    shot(page, "date-field")

    log_out(page)
    for _ in range(2):  # the screen after 退出, and again on a reload
        wait_screen(page, "idle")
        text = page.inner_text("body")
        assert "演示技术员" not in text and not page.query_selector_all(".pin-entry, #pin")
        page.reload()
    page.close()


def test_registration_says_what_it_keeps_and_who_she_may_be(rig):
    station, browser, driver, cards = rig
    page = open_page(browser, station.screen_url)
    log_in(page, station, driver, cards)
    page.goto(station.ui_url + "staff/residents/new")
    page.fill("#f-name", "王秀华")
    page.fill("#f-birth_date", "1994-03-12")  # demo-wang's name and birth date
    page.fill("#f-village", "东湾村")
    note = page.locator("#not-kept")
    note.wait_for(state="visible")  # named before saving, while consent is not ticked
    assert re.sub(r"\s+", "", note.inner_text()).endswith("出生日期、村")
    page.check("#f-consent")
    note.wait_for(state="hidden")
    page.click("#save")
    page.wait_for_selector("#similar")
    assert page.get_attribute("#similar a", "href").endswith("/staff/residents/demo-wang")
    assert perceived(page) == [], perceived(page)
    shot(page, "register-similar")
    page.check("#register-anyway")  # someone else after all: Save goes on
    page.click("#save")
    page.wait_for_selector("#registered")
    assert "已登记" in page.inner_text("#registered") and page.url != station.ui_url

    # one ID number, then the same number for someone else without her consent
    page.goto(station.ui_url + "staff/residents/new")
    page.fill("#f-name", "刘丽")
    page.fill("#f-birth_date", "1985-05-12")
    page.fill("#f-village", "南坪村")
    page.fill("#f-national_id", ID)
    page.check("#f-consent")  # kept (as its keyed hash) with her consent
    page.click("#save")
    page.wait_for_selector("#registered")
    first = page.url.rsplit("/", 1)[-1]
    page.goto(station.ui_url + "staff/residents/new")
    page.fill("#f-name", "赵敏")
    page.fill("#f-national_id", ID)
    page.click("#save")
    page.wait_for_selector("#error-national_id")
    assert "440***********124X" in page.inner_text("#duplicate-id")
    assert ID not in page.content() and page.input_value("#f-national_id") == ""
    assert page.get_attribute("#duplicate-id a", "href").endswith(f"/staff/residents/{first}")
    shot(page, "register-duplicate-id")
    log_out(page)
    page.close()


def test_her_record_page_for_the_technician_has_one_tap_to_each_section(rig):
    station, browser, driver, cards = rig
    page = open_page(browser, station.screen_url)
    log_in(page, station, driver, cards)
    page.goto(station.ui_url + "staff/residents/demo-wang")
    links = page.locator("#sections a")
    assert links.count() == 6
    for n in range(links.count()):  # all in the first screen, each a finger's size
        box = links.nth(n).bounding_box()
        assert box["y"] + box["height"] <= 480 and box["height"] >= 48
    tall = page.evaluate("document.documentElement.scrollHeight") / 480
    for n in range(links.count()):
        target = links.nth(n).get_attribute("href")
        links.nth(n).click()
        heading = page.locator(f"{target} h2").bounding_box()
        nav = page.locator("#sections").bounding_box()
        assert nav["y"] >= 0 and nav["y"] + nav["height"] <= heading["y"] < 480, (target, tall)
    shot(page, "record-sections")
    log_out(page)
    page.close()


def test_her_record_fits_the_screen_in_her_language(rig):
    station, browser, driver, cards = rig
    page = open_page(browser, station.screen_url)
    log_in(page, station, driver, cards)
    for _ in range(3):  # the technician opens her record three times today
        page.goto(station.ui_url + "staff/residents/demo-wang")
    log_out(page)

    for language in ("zh", "en"):
        if language == "en":
            page.click("#lang")
            page.wait_for_function("document.documentElement?.lang === 'en'")
            page.wait_for_function("document.body.dataset.connected === 'yes'")
        tap(driver, fresh(cards, "wang"))
        page.wait_for_selector("#my-record")
        page.click("#my-record")
        page.wait_for_selector("#my-upcoming")
        upcoming = page.inner_text("#my-upcoming")
        if language == "zh":
            assert "孕中期检查（" in upcoming and "Mid-pregnancy" not in upcoming
        else:
            assert "Mid-pregnancy check" in upcoming and not re.search(r"[\u4e00-\u9fff]", upcoming)
        for tab in page.locator("[role=tab]").all():  # every panel whole at 800x480
            tab.click()
            panel = page.locator("#" + tab.get_attribute("aria-controls"))
            assert panel.is_visible()
            assert perceived(page) == [], (tab.inner_text(), perceived(page))
            shot(page, f"my-record-{language}-{tab.get_attribute('aria-controls')}")
        page.click("[aria-controls=me-views]")
        lines = page.locator("#my-views li").all_inner_texts()
        assert [line for line in lines if "演示技术员" in line] == [
            next(line for line in lines if "演示技术员" in line)]  # one line, not three
        count = re.search(r"(?:查看|opened) (\d+)", " ".join(lines))
        assert count and int(count.group(1)) >= 3, lines  # her three, and any of other tests
        page.click("#me-close")
        wait_screen(page, "idle")
        assert page.evaluate("document.documentElement.lang") == "zh-CN"  # hers alone
    page.close()


def test_english_is_hers_alone(rig):
    station, browser, driver, cards = rig
    page = open_page(browser, station.screen_url + "&idle=1")  # not another test's last tap
    page.click("#lang")
    page.wait_for_function("document.documentElement?.lang === 'en'")
    page.wait_for_function("document.body.dataset.connected === 'yes'")
    assert "Please tap your card" in page.inner_text("#screen")
    tap(driver, fresh(cards, "zhang"))  # her tap: in English, her plan's item too
    page.wait_for_selector("#queue-number")
    assert "Queue number" in page.inner_text("#screen")
    follow_up = page.inner_text("#screen .followup")
    assert "Pre-pregnancy check" in follow_up and not re.search(r"[\u4e00-\u9fff]", follow_up)
    tap(driver, fresh(cards, "chen"))  # the next resident: in Chinese
    page.wait_for_function("document.documentElement?.lang === 'zh-CN'")
    page.wait_for_selector("#queue-number")
    assert "排队号" in page.inner_text("#screen") and "陈*燕" in page.inner_text("#screen")
    shot(page, "english-then-chinese")

    page.click("#lang")  # English asked for on her own screen: that screen, in English
    page.wait_for_function("document.documentElement?.lang === 'en'")
    assert "Queue number" in page.inner_text("#screen") and "陈*燕" in page.inner_text("#screen")
    page.wait_for_function("document.documentElement?.lang === 'zh-CN'", timeout=(IDLE + 8) * 1000)
    wait_screen(page, "idle")  # idled out: Chinese for whoever comes next
    assert "请刷卡" in page.inner_text("#screen")
    page.close()


def test_the_people_ahead_of_her_follow_the_calls(rig):
    station, browser, driver, cards = rig
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(station.desk_url))
    desk = browser.new_context(ignore_https_errors=True).new_page()  # calls from the desk:
    desk.goto(origin + "/staff/desk/login")                          # her screen stays up
    desk.wait_for_selector("#desk-waiting", state="visible")
    tap(driver, fresh(cards, "tech"), slot=DESK_SLOT)
    desk.wait_for_selector("#desk-pin-form", state="visible")
    desk.fill("#pin", DEMO_TECHNICIAN[3])
    desk.press("#pin", "Enter")
    desk.wait_for_selector("#checkins-today")
    desk.goto(origin + "/staff/queue/")

    kiosk = open_page(browser, station.screen_url)
    ahead = {}
    for name in ("wang", "li", "chen", "zhang", "last"):  # four in the line, in any order
        if name == "last":  # the one with the most people ahead, on her screen again
            name = max(ahead, key=ahead.get)
            assert ahead[name] == 3
        kiosk.evaluate("document.getElementById('screen').innerHTML = ''")
        tap(driver, fresh(cards, name))
        kiosk.wait_for_selector("#queue-ahead")
        ahead[name] = int(re.search(r"\d+", kiosk.inner_text("#queue-ahead")).group())
    for left in (2, 1, 0):
        desk.click("#call-next")
        kiosk.wait_for_function(f"document.getElementById('queue-ahead').textContent"
                                f".startsWith('您前面还有 {left} 人')", timeout=5000)
    shot(kiosk, "people-ahead")
    desk.click("#call-next")  # her number
    kiosk.wait_for_function("document.getElementById('queue-ahead').textContent.includes('诊室1')",
                            timeout=5000)
    assert "轮到您了" in kiosk.inner_text("#queue-ahead")
    assert visible_errors(kiosk) == [] and clipped(kiosk) == []
    kiosk.close()
    desk.context.close()
