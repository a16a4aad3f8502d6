"""The technician's desk in Debian's Chromium, through a real station process and real pcscd.

The desk browser trusts exactly the station's own certificate (Chromium's
--ignore-certificate-errors-spki-list with that key's hash; every other certificate error still
stops it, and a context that does not trust it cannot open the desk). She logs in by tapping
her technician card on the desk reader (the vpcd's second slot, role "desk") and typing her
PIN on the desk page; registers 王𠮷华 with the name typed as an input method delivers it
(a composition, then its commit); finds her again; issues her card on the desk reader; and a
tap of that card on the desk reader opens her record on the desk page. The public kiosk page,
open beside it all along, shows no technician content at all.
"""

from __future__ import annotations

import time

import pytest

from kiosk.adapters.desk_tls import CERT_NAME, spki_sha256_base64
from kiosk.config.loader import load_config
from kiosk.keys import generate_key_file
from kiosk.sim.virtual_card import VirtualCard
from kiosk.testing.station import StationProcess, TapDriver, add_technician, write_station_config
from tests.browser.chromium import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, free_port

pytestmark = [pytest.mark.pcsc, pytest.mark.browser]
PIN = "246813"
KIOSK_SLOT, DESK_SLOT = 0, 1
NAME = "王𠮷华"
SEARCH = "wjh"  # her pinyin initials (pinyin search, merged from i15pinyin)


def desk_config(directory, pcscd, idle: int = 900) -> tuple:
    desk_port = free_port()
    config_path = write_station_config(directory, pcscd, ui_port=free_port(), extra=(
        f'\n[reader.roles]\n"{pcscd.reader_names[DESK_SLOT]}" = "desk"\n'
        f'\n[desk]\nenabled = true\nhost = "127.0.0.1"\nport = {desk_port}\n'
        f"idle_logout_seconds = {idle}\n"))
    generate_key_file(load_config(config_path).station.key_file)
    return config_path, desk_port


@pytest.fixture(scope="module")
def rig(pcscd, tmp_path_factory):
    if pcscd.proc is None or pcscd.proc.poll() is not None or not pcscd.with_reader:
        pcscd.with_reader = True
        pcscd.start()
    directory = tmp_path_factory.mktemp("desk-browser")
    config_path, _ = desk_config(directory, pcscd)
    _, tech_card = add_technician(config_path, "赵技术员", PIN, bytes.fromhex("08AABBCC"), "cpu")
    station = StationProcess(config_path)
    station.start()
    spki = spki_sha256_base64(directory / CERT_NAME)  # the certificate the station made
    from playwright.sync_api import sync_playwright
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[*CHROMIUM_ARGS, f"--ignore-certificate-errors-spki-list={spki}"])
            plain = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            driver = TapDriver(pcscd)
            try:
                yield station, browser, plain, driver, tech_card, playwright
            finally:
                driver.close()
                plain.close()
                browser.close()
    finally:
        station.stop()


def present(driver, slot: int, card: VirtualCard) -> None:
    """A tap: place the card, let the station read it, take it away."""
    driver.place(slot, card)
    driver.slots[slot].uid_read.wait(3)
    time.sleep(0.1)
    driver.remove(slot)


def type_as_an_ime(page, selector: str, text: str, composing: str) -> None:
    """What a Chinese input method sends: a composition of pinyin, then the committed text."""
    page.focus(selector)
    cdp = page.context.new_cdp_session(page)
    for end in range(1, len(composing) + 1):
        cdp.send("Input.imeSetComposition", {"text": composing[:end], "selectionStart": end,
                                             "selectionEnd": end})
    cdp.send("Input.insertText", {"text": text})
    cdp.detach()


def no_technician_content(kiosk_page) -> None:
    """The public screen's DOM holds nothing of the technician: no PIN form, no name, no
    staff link or form, and its screen is not a technician screen."""
    html = kiosk_page.content()
    text = kiosk_page.inner_text("body")
    assert kiosk_page.get_attribute("#screen", "data-screen") == "idle"
    assert kiosk_page.query_selector_all("form, input[type=password], .pin-entry, a[href*='/staff']") == []
    for word in ("赵技术员", "技术员", "PIN", NAME, "王*华", "/staff", "ticket", "desk-code"):
        assert word not in html and word not in text, word


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"desk-{name}.png"), full_page=True)


def test_a_technicians_desk_over_https(rig):
    station, browser, plain, driver, tech_card, _ = rig
    kiosk = browser.new_context(viewport={"width": 800, "height": 480}).new_page()
    kiosk.goto(station.screen_url)
    kiosk.wait_for_selector("#screen[data-screen='idle']")

    untrusting = plain.new_context(ignore_https_errors=False).new_page()
    with pytest.raises(Exception, match="ERR_CERT"):
        untrusting.goto(station.desk_url)

    desk = browser.new_context(ignore_https_errors=False,
                               viewport={"width": 1366, "height": 768}).new_page()
    desk.goto(station.desk_url)
    desk.wait_for_selector("#desk-waiting", state="visible")
    assert desk.url.startswith("https://") and desk.url.endswith("/staff/desk/login")
    assert desk.inner_text("#desk-fingerprint") == station.desk_fingerprint
    shot(desk, "login-waiting")

    assert desk.is_visible("#desk-code") and not desk.is_visible("#desk-gone")
    present(driver, DESK_SLOT, tech_card.same_card())
    desk.wait_for_selector("#desk-pin-form", state="visible")
    assert "赵技术员" not in desk.content()  # never her name before her PIN
    desk.keyboard.type(PIN)  # the PIN field has the focus; Enter submits
    desk.keyboard.press("Enter")
    desk.wait_for_selector("#checkins-today")
    assert desk.inner_text("#desk-fingerprint") == station.desk_fingerprint
    no_technician_content(kiosk)

    desk.click("text=居民")
    desk.click("#register")
    type_as_an_ime(desk, "#f-name", NAME, "wangjihua")
    assert desk.input_value("#f-name") == NAME
    desk.fill("#f-birth_date", "1994-03-12")
    desk.focus("#f-village")
    desk.keyboard.insert_text("东湾村")  # what an IME's commit is, for Playwright
    desk.fill("#f-phone", "13800000000")
    desk.check("#f-consent")
    shot(desk, "register")
    desk.click("#save")
    desk.wait_for_selector("#resident-name")
    assert desk.inner_text("#resident-name") == NAME
    record_url = desk.url

    desk.click("#issue-card")
    desk.wait_for_selector("#issue[data-status='waiting']")
    blank = VirtualCard(bytes.fromhex("04A1B2C4"), "mifare")
    driver.place(DESK_SLOT, blank)  # she holds her new card on the desk reader
    desk.wait_for_selector("#issue[data-status='done']", timeout=15000)
    driver.remove(DESK_SLOT)
    no_technician_content(kiosk)

    desk.click("text=居民")
    desk.fill("input[name=q]", SEARCH)
    desk.keyboard.press("Enter")
    desk.wait_for_selector(f"table.grid a:text('{NAME}')")
    shot(desk, "found")

    desk.click("text=居民")  # away from her record, then her card brings it back
    desk.wait_for_selector("input[name=q]")
    present(driver, DESK_SLOT, blank.copy_to(blank.uid))
    desk.wait_for_url(record_url, timeout=10000)
    desk.wait_for_selector("#resident-name")
    assert desk.inner_text("#resident-name") == NAME
    shot(desk, "record-by-tap")
    desk_taps = [r for r in station.all_reports if r.get("at_desk")]
    assert [r["kind"] for r in desk_taps] == ["technician_card", "card_issued",
                                              "resident_at_desk"]
    assert not any(r["kind"] == "checked_in" for r in station.all_reports)
    no_technician_content(kiosk)
    shot(kiosk, "kiosk-meanwhile")

    queue = desk.goto(station.desk_url + "queue/")  # the queue is called from the desk too
    assert queue is not None and queue.ok and desk.url.endswith("/staff/queue/")

    present(driver, DESK_SLOT, tech_card.same_card())  # her own card: logged out
    desk.wait_for_url("**/staff/desk/login", timeout=10000)


def test_a_desk_page_chosen_by_its_code_on_the_kiosk_screen(rig):
    """Her card on the kiosk's reader, "log in at a desk PC instead" and the desk page's code
    typed with taps on the kiosk's keypad: that page, and no other, asks for her PIN."""
    station, browser, _plain, driver, tech_card, _ = rig
    kiosk = browser.new_context(viewport={"width": 800, "height": 480}, has_touch=True).new_page()
    kiosk.goto(station.screen_url)
    kiosk.wait_for_selector("#screen[data-screen='idle']")
    other = browser.new_context().new_page()  # another page waiting on the LAN
    other.goto(station.desk_url)
    desk = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    desk.goto(station.desk_url)
    code = desk.inner_text("#desk-code")
    present(driver, KIOSK_SLOT, tech_card.same_card())
    kiosk.wait_for_selector("#to-desk")
    box = kiosk.locator("#to-desk").bounding_box()
    assert box and box["width"] >= 48 and box["height"] >= 48
    kiosk.tap("#to-desk")
    for digit in code:
        kiosk.tap(f".key[data-key='{digit}']")
    kiosk.tap("#pin-ok")
    kiosk.wait_for_selector("#continue-at-desk")
    desk.wait_for_selector("#desk-pin-form", state="visible")
    assert other.is_hidden("#desk-pin-form")
    desk.keyboard.type(PIN)
    desk.keyboard.press("Enter")
    desk.wait_for_selector("#checkins-today")
    shot(kiosk, "kiosk-continue-at-desk")


def test_a_desk_session_idles_out_in_chromium(rig, pcscd, tmp_path):
    """A short desk.idle_logout_seconds: the page she left goes back to the login page, and
    the server has ended the session too (a second station, on the rig's Playwright)."""
    playwright = rig[-1]
    config_path, _ = desk_config(tmp_path / "idle", pcscd, idle=30)
    _, tech_card = add_technician(config_path, "赵技术员", PIN, bytes.fromhex("08AABBCC"), "cpu")
    rig[0].stop()  # one station on the readers at a time
    station = StationProcess(config_path)
    station.start()
    spki = spki_sha256_base64(tmp_path / "idle" / CERT_NAME)
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, f"--ignore-certificate-errors-spki-list={spki}"])
    try:
        driver = rig[3]
        desk = browser.new_context(ignore_https_errors=False).new_page()
        desk.goto(station.desk_url)
        desk.wait_for_selector("#desk-waiting", state="visible")
        present(driver, DESK_SLOT, tech_card.same_card())
        desk.wait_for_selector("#desk-pin-form", state="visible")
        desk.keyboard.type(PIN)
        desk.keyboard.press("Enter")
        desk.wait_for_selector("#checkins-today")
        desk.wait_for_url("**/staff/desk/login", timeout=60_000)
        desk.goto(station.desk_url + "residents")
        assert desk.url.endswith("/staff/desk/login")
    finally:
        browser.close()
        station.stop()

