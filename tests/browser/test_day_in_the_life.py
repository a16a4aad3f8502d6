"""One technician's whole day (issue 21, "Must show"), as she and the residents meet it: one real
station process (real pcscd + vpcd, a kiosk reader and a desk reader), one Debian Chromium started
with kiosk-browser.service's language (so date fields read 年/月/日).

At the kiosk, 800x480, touch alone (Playwright's touchscreen; every character from the on-screen
keyboard): her card and PIN, 王秀华 registered, found by wxh, her card issued, a care plan, a
visit, 王秀华's check-in with her new card, her number called, her own record, the working lists.
Then the same day at the desk, 1366x768, over HTTPS (the PC's own keyboard and input method): the
login page's code and her card on the desk reader, 李秀兰 registered and found by lxl, her card
issued on the desk reader, a plan and a visit, her check-in on the kiosk, her number called from
the desk, her record on the kiosk, the lists.

After every step, the page as a person sees it (tests/browser/chromium.measure, the walk of
test_touch_sizes.py): no visible error element the step did not cause, nothing clipped or
overflowing, no target under 48x48, and no page taller than the screen but those in
``SCROLLING_PAGES``, which scroll on purpose. The one thing at the kiosk not typed by taps: dates
(her birth date, a plan's start). Chromium's own date picker opens in a popup that Playwright
cannot reach, so the field is tapped, then filled.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from urllib.parse import urlsplit

import pytest

from kiosk.config.loader import load_config
from kiosk.keys import generate_key_file
from kiosk.sim.virtual_card import VirtualCard
from kiosk.testing.station import add_technician, write_station_config
from tests.browser.chromium import free_port, measure, tap, wait_screen
from tests.browser.station_rig import kiosk_browser_language, station_in_chromium
from tests.browser.touch import Taps

pytestmark = [pytest.mark.pcsc, pytest.mark.browser]
PIN = "246813"
KIOSK_SLOT, DESK_SLOT = 0, 1
KIOSK, DESK = (800, 480), (1366, 768)
# The pages a technician scrolls down on purpose (forms and tables longer than a 7" screen); every
# other page of the day fits the screen (a test fails if one of these fits it too, so the list
# says what is true), the public ones and her own record included (its panels scroll inside,
# data-scrolls). The search results and the working lists scroll only when their rows do not fit
# (25 a page): today's few fit.
SCROLLING_PAGES = {
    "dashboard": "today's check-ins, the queue, the readers, health and a 30-day chart",
    "register": "the register form with its consent text, the keyboard open below it",
    "record": "her record: details, consent, cards, plan, visits, who looked (a bar of sections)",
    "queue": "the queue: call next, my calls, waiting, other rooms, did not answer",
}
GROW_WITH_ROWS = {
    "search": "the residents found, 25 a page",
    "list": "a working list, 25 rows a page",
}
TALL: dict[str, int] = {}  # a scrolling page's tallest height at the kiosk, by kind


def check(page, where: str, step: str, page_kind: str | None = None) -> None:
    """The page after a step, as a person sees it; ``page_kind``: one of SCROLLING_PAGES (the
    page may scroll down), else the page fits the screen."""
    assert page_kind is None or page_kind in SCROLLING_PAGES | GROW_WITH_ROWS, page_kind
    name = "day-" + re.sub(r"[^a-z0-9]+", "-", f"{where} {step}".lower()).strip("-")  # its screenshot
    problems = measure(page, name, public=page_kind is None, desk=where == "desk")
    assert problems == [], f"{where}, {step}:\n" + "\n".join(problems)
    if page_kind in SCROLLING_PAGES and page.viewport_size["height"] == KIOSK[1]:
        height = page.evaluate("document.documentElement.scrollHeight")
        TALL[page_kind] = max(TALL.get(page_kind, 0), height)


@pytest.fixture(scope="module")
def day(pcscd, tmp_path_factory):
    config_path = write_station_config(
        tmp_path_factory.mktemp("day"), pcscd, ui_port=free_port(), idle_seconds=60,
        extra=(f'\n[staff]\nidle_logout_seconds = 600\n'
               f'\n[reader.roles]\n"{pcscd.reader_names[DESK_SLOT]}" = "desk"\n'
               f'\n[desk]\nenabled = true\nhost = "127.0.0.1"\nport = {free_port()}\n'))
    generate_key_file(load_config(config_path).station.key_file)
    _, tech = add_technician(config_path, "赵技术员", PIN, bytes.fromhex("08AABBCC"), "cpu")
    env, flags = kiosk_browser_language()
    with station_in_chromium(pcscd, config_path, tuple(flags), env) as (station, browser, driver):
        kiosk = browser.new_context(viewport=dict(zip(("width", "height"), KIOSK, strict=True)),
                                    has_touch=True)
        yield station, browser, driver, tech, kiosk.new_page()
        kiosk.close()


def fresh(card: VirtualCard) -> VirtualCard:
    return card.same_card()


def kiosk_login(page, taps: Taps, station, driver, tech) -> None:
    """Her technician card on the kiosk's reader, her PIN on the keypad."""
    page.goto(station.screen_url)
    page.wait_for_function("document.body.dataset.connected === 'yes'")
    tap(driver, fresh(tech), KIOSK_SLOT)
    wait_screen(page, "pin_entry")
    check(page, "kiosk", "PIN keypad")
    for digit in PIN:
        taps.on(f".key[data-key='{digit}']")
    taps.on("#pin-ok")
    page.wait_for_selector("#checkins-today")


def pick_date(page, go, selector: str, date: dt.date) -> None:
    """A date field tapped, then the date her finger would pick in Chromium's own date picker
    (a popup Playwright cannot reach, so filled in)."""
    go.on(selector)
    page.fill(selector, date.isoformat())


def log_out(page, taps: Taps) -> None:
    """退出: the public screen at once idle (not the last tap of her session: a card issued)."""
    taps.on("#logout")
    wait_screen(page, "idle", timeout=3000)


def enrol_and_log_a_visit(page, go, where: str) -> None:
    """Prenatal care from a period 150 days ago: two visits overdue, the third due now; her
    visit today is logged on the one due (outcome, next appointment: the form's defaults)."""
    pick_date(page, go, "form.enrol[data-plan='prenatal'] input[type=date]",
              dt.date.today() - dt.timedelta(days=150))
    go.to_page("form.enrol[data-plan='prenatal'] button[value='enrol']")
    page.wait_for_selector("#items tr.st-due")
    check(page, where, "enrolled", "record")
    go.to_page("#items tr.st-due a")
    page.wait_for_selector("#save-visit")
    check(page, where, "visit form")
    go.to_page("#save-visit")
    page.wait_for_selector("#visits tr")
    check(page, where, "visit logged", "record")


def her_check_in(kiosk, driver, card: VirtualCard, where: str) -> str:
    """Her card on the kiosk's reader, the screen idle: checked in; returns her queue number."""
    wait_screen(kiosk, "idle")
    tap(driver, fresh(card), KIOSK_SLOT)
    wait_screen(kiosk, "checked_in")
    number = kiosk.inner_text("#queue-number")
    check(kiosk, where, "her check-in")
    return number


def her_own_record(kiosk, taps: Taps, driver, card: VirtualCard, where: str) -> None:
    """Her card again, 我的档案 on her screen, each tab of her record, and 关闭."""
    tap(driver, fresh(card), KIOSK_SLOT)
    kiosk.wait_for_selector("#my-record")
    taps.to_page("#my-record")
    kiosk.wait_for_selector("#my-upcoming")
    for tab in kiosk.locator("[role=tab]").all():
        taps.on(f"#{tab.get_attribute('id')}")
        kiosk.wait_for_selector("#" + tab.get_attribute("aria-controls"), state="visible")
        check(kiosk, where, f"her record, {tab.get_attribute('aria-controls')}")
    taps.to_page("#me-close")
    wait_screen(kiosk, "idle")


def test_a_technicians_day_at_the_kiosk_then_at_the_desk(day):
    station, browser, driver, tech, kiosk = day
    started = time.monotonic()
    kiosk_day(station, driver, tech, kiosk)
    at_desk = time.monotonic()
    desk_day(station, browser, driver, tech, kiosk)
    done = time.monotonic()
    print(f"figure: day_in_the_life_kiosk_s = {at_desk - started:.1f} s")
    print(f"figure: day_in_the_life_desk_s = {done - at_desk:.1f} s")
    # the list of pages that scroll is not padded: each of them did not fit the 7" screen
    assert {kind: h for kind, h in TALL.items() if h <= KIOSK[1]} == {}, TALL
    assert set(TALL) == set(SCROLLING_PAGES), TALL


def kiosk_day(station, driver, tech, page) -> None:
    taps = Taps(page)
    page.goto(station.screen_url)
    page.wait_for_function("document.body.dataset.connected === 'yes'")
    assert page.evaluate("navigator.language") == "zh-CN"  # as kiosk-browser.service starts it
    wait_screen(page, "idle")
    check(page, "kiosk", "idle screen")
    kiosk_login(page, taps, station, driver, tech)
    check(page, "kiosk", "dashboard", "dashboard")

    taps.to_page("nav a[href$='/staff/residents']")
    taps.to_page("#register")
    taps.on("#f-name")
    page.wait_for_selector("#osk", state="visible")
    for letters, char in (("wang", "王"), ("xiu", "秀"), ("hua", "华")):
        taps.syllable(letters, char)
    pick_date(page, taps, "#f-birth_date", dt.date(1994, 3, 12))
    taps.on("#f-village")
    for letters, char in (("dong", "东"), ("wan", "湾"), ("cun", "村")):
        taps.syllable(letters, char)
    assert (page.input_value("#f-name"), page.input_value("#f-village")) == ("王秀华", "东湾村")
    check(page, "kiosk", "register with the keyboard", "register")
    taps.on("#f-consent")  # she agrees: the keyboard goes, the tap lands
    page.wait_for_selector("#osk", state="hidden")
    taps.to_page("#save")
    page.wait_for_selector("#registered")
    check(page, "kiosk", "registered", "record")

    taps.to_page("nav a[href$='/staff/residents']")
    taps.on("input[name='q']")
    for letter in "wxh":
        taps.key(letter)
    taps.on("#osk-enter")  # the letters as they are
    taps.on("#osk-enter")  # and the keyboard closed
    taps.to_page("form.row button[type='submit']")
    page.wait_for_selector("table.grid a:text('王秀华')")
    check(page, "kiosk", "found by wxh", "search")
    taps.to_page("table.grid a:text('王秀华')")
    page.wait_for_selector("#resident-name")

    taps.to_page("#issue-card")
    page.wait_for_selector("#issue[data-status='waiting']")
    check(page, "kiosk", "issue: waiting for her card")
    card = VirtualCard(bytes.fromhex("04D1A7C1"), "mifare")
    driver.place(KIOSK_SLOT, card)  # her new card, held on the kiosk's reader
    page.wait_for_selector("#issue[data-status='done']", timeout=15000)
    driver.remove(KIOSK_SLOT)
    check(page, "kiosk", "card issued")
    taps.to_page("#issue a.button")

    enrol_and_log_a_visit(page, taps, "kiosk")
    log_out(page, taps)

    number = her_check_in(page, driver, card, "kiosk")
    kiosk_login(page, taps, station, driver, tech)
    taps.to_page("#nav-queue")
    taps.to_page("#call-next")
    page.wait_for_selector(f"#my-calls tr[data-queue-no='{number}'][data-state='called']")
    check(page, "kiosk", "her number called", "queue")
    log_out(page, taps)
    page.wait_for_function(f"document.getElementById('call-band').textContent.includes('{number}')")
    check(page, "kiosk", "idle, her number called in the band")

    her_own_record(page, taps, driver, card, "kiosk")

    kiosk_login(page, taps, station, driver, tech)
    for which in ("due", "overdue", "week"):
        taps.to_page(f"nav a[href$='/staff/lists/{which}']")
        page.wait_for_selector("#work-list")
        check(page, "kiosk", f"list {which}", "list")
        if which == "overdue":  # her first two prenatal visits
            assert page.locator("#work-list tr:has-text('王')").count() == 2
    log_out(page, taps)


class Clicks:
    """The desk's mouse, with Taps' two verbs (a click, a click that opens a page)."""

    def __init__(self, page):
        self.page = page

    def on(self, selector: str) -> None:
        self.page.click(selector)

    def to_page(self, selector: str) -> None:
        with self.page.expect_navigation():
            self.page.click(selector)


def desk_day(station, browser, driver, tech, kiosk) -> None:
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(station.desk_url))
    page = browser.new_context(ignore_https_errors=True, viewport=dict(
        zip(("width", "height"), DESK, strict=True))).new_page()
    go = Clicks(page)
    page.goto(station.desk_url)
    page.wait_for_selector("#desk-waiting", state="visible")
    assert page.inner_text("#desk-code").strip().isdigit()
    check(page, "desk", "login page with its code")
    tap(driver, fresh(tech), DESK_SLOT)
    page.wait_for_selector("#desk-pin-form", state="visible")
    check(page, "desk", "PIN form")
    page.keyboard.type(PIN)
    page.keyboard.press("Enter")
    page.wait_for_selector("#checkins-today")
    check(page, "desk", "dashboard", "dashboard")

    go.to_page("nav a[href$='/staff/residents']")
    go.to_page("#register")
    page.focus("#f-name")
    page.keyboard.insert_text("李秀兰")  # what the PC's input method commits
    pick_date(page, go, "#f-birth_date", dt.date(1968, 9, 2))
    page.focus("#f-village")
    page.keyboard.insert_text("西岭村")
    page.check("#f-consent")
    check(page, "desk", "register", "register")
    go.to_page("#save")
    page.wait_for_selector("#registered")
    check(page, "desk", "registered", "record")

    go.to_page("nav a[href$='/staff/residents']")
    page.fill("input[name=q]", "lxl")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector("table.grid a:text('李秀兰')")
    check(page, "desk", "found by lxl", "search")
    go.to_page("table.grid a:text('李秀兰')")
    go.to_page("#issue-card")
    page.wait_for_selector("#issue[data-status='waiting']")
    check(page, "desk", "issue: waiting for her card")
    card = VirtualCard(bytes.fromhex("04D1A7C2"), "mifare")
    driver.place(DESK_SLOT, card)
    page.wait_for_selector("#issue[data-status='done']", timeout=15000)
    driver.remove(DESK_SLOT)
    check(page, "desk", "card issued")
    go.to_page("#issue a.button")
    enrol_and_log_a_visit(page, go, "desk")

    kiosk.goto(station.screen_url)
    kiosk.wait_for_function("document.body.dataset.connected === 'yes'")
    number = her_check_in(kiosk, driver, card, "desk")
    page.goto(origin + "/staff/queue/")
    go.to_page("#call-next")
    page.wait_for_selector(f"#my-calls tr[data-queue-no='{number}'][data-state='called']")
    check(page, "desk", "her number called", "queue")
    her_own_record(kiosk, Taps(kiosk), driver, card, "desk")

    for which in ("due", "overdue", "week"):
        go.to_page(f"nav a[href$='/staff/lists/{which}']")
        page.wait_for_selector("#work-list")
        check(page, "desk", f"list {which}", "list")
        if which == "overdue":  # the first two prenatal visits of each
            assert page.locator("#work-list tr:has-text('李*兰'), #work-list tr:has-text('李秀兰')").count() == 2
    go.to_page("#logout")
    page.wait_for_url("**/staff/desk/login")
    page.context.close()
