"""Chinese typed on the kiosk's touchscreen with its on-screen keyboard (issue 21), in Debian's
Chromium at 800x480 with touch alone: a real station process, a technician logged in by card
and PIN, then 王秀华 registered and found again without a physical keyboard (no
``keyboard.type``, no ``fill``: every character comes from a tap on the screen).

The taps for 王秀华 are counted as a technician types: a syllable letter by letter, and the
character tapped as soon as it shows in the candidate row (at most 12 taps in all). Every key
of every layout is measured (at least 48x48 CSS px), has a name for a screen reader and
meets WCAG 2.1 AA contrast (4.5:1 for its text).
"""

from __future__ import annotations

import time

import pytest

from kiosk.config.loader import load_config
from kiosk.keys import generate_key_file
from kiosk.testing.station import add_technician, write_station_config
from tests.browser.chromium import free_port, wait_screen
from tests.browser.station_rig import kiosk_browser_language, station_in_chromium
from tests.browser.touch import Taps, shot

pytestmark = [pytest.mark.pcsc, pytest.mark.browser]
PIN = "246813"
NAME = [("wang", "王"), ("xiu", "秀"), ("hua", "华")]

# Every visible key: its size, its name for a screen reader, and its text's contrast.
KEYS = """() => {
  const lum = (rgb) => { const c = rgb.match(/[0-9.]+/g).slice(0, 3).map(Number).map(v => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]; };
  return [...document.querySelectorAll('#osk button')].filter(b => b.offsetParent).map(b => {
    const r = b.getBoundingClientRect(), s = getComputedStyle(b);
    const [hi, lo] = [lum(s.color), lum(s.backgroundColor)].sort((a, b) => b - a);
    return {key: b.dataset.char || b.dataset.osk || b.textContent, w: r.width, h: r.height,
            bottom: r.bottom, name: (b.getAttribute('aria-label') || b.textContent).trim(),
            contrast: (hi + 0.05) / (lo + 0.05)};
  });
}"""


@pytest.fixture(scope="module")
def station(pcscd, tmp_path_factory):
    config_path = write_station_config(tmp_path_factory.mktemp("keyboard"), pcscd,
                                       ui_port=free_port(), idle_seconds=30)
    generate_key_file(load_config(config_path).station.key_file)
    _, card = add_technician(config_path, "赵技术员", PIN, bytes.fromhex("08AABBCC"), "cpu")
    env, flags = kiosk_browser_language()  # as the kiosk's Chromium: its date fields read 年/月/日
    with station_in_chromium(pcscd, config_path, tuple(flags), env) as (station, browser, driver):
        context = browser.new_context(viewport={"width": 800, "height": 480}, has_touch=True,
                                      is_mobile=False)
        yield station, context.new_page(), driver, card
        context.close()


@pytest.fixture
def kiosk(station):
    """The kiosk's page with the technician logged in by her card and PIN, anew for each test:
    a card that another module's test taps on the worker's shared reader ends her session."""
    station, page, driver, card = station
    page.goto(station.screen_url)
    page.wait_for_function("document.body.dataset.connected === 'yes'")
    driver.place(0, card.same_card())  # her technician card on the kiosk's reader
    driver.slots[0].uid_read.wait(3)
    time.sleep(0.1)
    driver.remove(0)
    wait_screen(page, "pin_entry")
    taps = Taps(page)
    for digit in PIN:
        taps.on(f".key[data-key='{digit}']")
    taps.on("#pin-ok")
    page.wait_for_selector("#checkins-today")
    return page, station


def check_keys(page, where: str) -> None:
    keys = page.evaluate(KEYS)
    assert keys, f"{where}: no key on the screen"
    small = [k for k in keys if k["w"] < 48 or k["h"] < 48]
    assert not small, f"{where}: keys under 48x48: {small}"
    assert all(k["name"] for k in keys), f"{where}: a key without a name: {keys}"
    faint = [k for k in keys if k["contrast"] < 4.5]
    assert not faint, f"{where}: keys under 4.5:1 contrast: {faint}"
    assert max(k["bottom"] for k in keys) <= 480, f"{where}: a key below the screen"


def open_register_page(taps: Taps) -> None:
    taps.to_page("nav a[href$='/staff/residents']")
    taps.to_page("#register")


def test_register_wang_xiuhua_with_taps_alone_and_find_her_by_wxh(kiosk):
    page, _ = kiosk
    taps = Taps(page)
    open_register_page(taps)
    assert page.locator("#osk").is_hidden()  # nothing to type into yet
    taps.on("#f-name")
    page.wait_for_selector("#osk", state="visible")
    check_keys(page, "letters")

    taps.count, taps.typed = 0, []
    for letters, char in NAME:
        taps.syllable(letters, char)
    assert page.input_value("#f-name") == "王秀华"
    print(f"figure: keyboard_taps_wang_xiuhua = {taps.count} taps ({' '.join(taps.typed)})")
    assert taps.count <= 12

    taps.on("#osk-digits")  # the digits and symbols, then back to the letters
    check_keys(page, "digits")
    taps.on("#osk-digits")
    taps.on("#osk-language")  # English letters: every key still there and readable
    check_keys(page, "English letters")
    taps.on("#osk-language")
    taps.on("#osk [data-osk='hide']")
    page.wait_for_selector("#osk", state="hidden")
    taps.to_page("#save")  # without her consent: only her name is kept (the register page says so)
    page.wait_for_selector("#resident-name")
    assert page.inner_text("#resident-name") == "王秀华"

    # found again by her initials, typed with taps too (one test: each xdist worker has its
    # own station, so a second test could run where she was never registered)
    taps.to_page("nav a[href$='/staff/residents']")
    taps.on("input[name='q']")
    page.wait_for_selector("#osk", state="visible")
    for letter in "wxh":  # in pinyin, then OK types the letters as they are
        taps.key(letter)
    page.wait_for_function("document.getElementById('osk-composing').textContent.replace(/'/g, '') === 'wxh'")
    taps.on("#osk-enter")
    assert page.input_value("input[name='q']") == "wxh"
    taps.on("#osk-enter")  # OK again closes the keyboard
    page.wait_for_selector("#osk", state="hidden")
    taps.to_page("form.row button[type='submit']")
    page.wait_for_selector("table.grid a")
    assert "王秀华" in page.inner_text("table.grid")


def test_a_whole_name_at_once_paging_a_village_and_english(kiosk):
    page, _ = kiosk
    taps = Taps(page)
    open_register_page(taps)
    taps.on("#f-name")
    page.wait_for_selector("#osk", state="visible")
    for letter in "wangxiuhua":
        taps.key(letter)
    page.wait_for_selector("#osk-candidates .osk-phrase")
    phrase = page.inner_text("#osk-candidates .osk-phrase")  # the surname and a common given name
    assert phrase == "王秀华", phrase
    page.wait_for_selector("#osk-next:enabled")
    check_keys(page, "candidates")  # the candidate row's keys, the letters and the paging keys
    first_page = page.inner_text("#osk-candidates")
    taps.on("#osk-next")
    assert page.inner_text("#osk-candidates") != first_page
    taps.on("#osk-prev")
    assert page.inner_text("#osk-candidates") == first_page
    for char, rest in (("王", "xiu'hua"), ("秀", "hua"), ("华", "")):  # a character at a time
        taps.candidate(char)
        assert page.inner_text("#osk-composing") == rest
        if char == "王":  # docs/img/kiosk-register-keyboard.png is this screen, the birth date
            page.evaluate("document.getElementById('f-birth_date')"  # in view above the keys
                          ".scrollIntoView({block: 'nearest'})")
            shot(page, "register")
    assert page.input_value("#f-name") == "王秀华"

    taps.on("#f-village")  # the next field, a syllable at a time
    for letters, char in (("dong", "东"), ("wan", "湾"), ("cun", "村")):
        taps.syllable(letters, char)
    assert page.input_value("#f-village") == "东湾村"
    taps.key("n")  # a letter typed in error, taken back
    taps.on("#osk [data-osk='backspace']")
    assert page.locator("#osk-composing").is_hidden()
    for _ in range(3):
        taps.on("#osk [data-osk='backspace']")
    taps.on("#osk-language")  # English: letters go straight into the field
    for letter in "li":
        taps.key(letter)
    taps.on("#osk-digits")
    taps.key("7")
    assert page.input_value("#f-village") == "li7"
    taps.on("#f-phone")  # a phone field opens on the digits
    taps.key("1")
    assert page.input_value("#f-phone") == "1"
    taps.on("#f-consent")  # a tap elsewhere on the form: the keyboard goes, the tap still lands
    page.wait_for_selector("#osk", state="hidden")
    assert page.is_checked("#f-consent")
    taps.on("#f-name")  # and comes back on the next text field
    page.wait_for_selector("#osk", state="visible")
    assert page.input_value("#f-phone") == "1" and page.input_value("#f-name") == "王秀华"
