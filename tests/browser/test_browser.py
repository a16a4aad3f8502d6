"""The touchscreen in Debian's Chromium (Playwright), fed by real taps through pcscd.

Screenshots of every screen go to test-artifacts/screens/ (kept by CI as artifacts); the
shared pieces (Chromium, taps, the layout rule) are in tests/browser/chromium.py.
"""

import time

import pytest

from kiosk.adapters.escpos_decode import decode
from kiosk.bootstrap import build_core
from kiosk.config.loader import load_config
from kiosk.demo.data import seed_demo
from kiosk.domain.model import local_date
from kiosk.keys import generate_key_file
from kiosk.ports import PrinterState
from kiosk.sim.capture_printer import CapturePrinter
from kiosk.sim.virtual_card import VirtualCard
from kiosk.testing.station import StationProcess, TapDriver, write_station_config
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS, check_layout, free_port, open_page, tap, wait_screen

pytestmark = [pytest.mark.pcsc, pytest.mark.browser]
LI = bytes.fromhex("04112233445566")
CARDS: dict[str, VirtualCard] = {}  # the demo residents' signed cards, filled by the rig


def card(name: str) -> VirtualCard:
    """A fresh handle on a demo card (same UID and memory)."""
    return CARDS[name].same_card()


@pytest.fixture(scope="module")
def capture():
    printer = CapturePrinter()
    yield printer
    printer.close()


@pytest.fixture(scope="module")
def rig(pcscd, capture, tmp_path_factory):
    if pcscd.proc is None or pcscd.proc.poll() is not None or not pcscd.with_reader:
        pcscd.with_reader = True
        pcscd.start()
    extra = (f'\n[printer]\nkind = "network"\nhost = "127.0.0.1"\nport = {capture.port}\n')
    config_path = write_station_config(tmp_path_factory.mktemp("ui"), pcscd, extra=extra,
                                       ui_port=free_port(), idle_seconds=4)
    config = load_config(config_path)
    generate_key_file(config.station.key_file)
    core = build_core(config)
    CARDS.update(seed_demo(core, local_date(core.clock.now(), config.station.timezone)))
    core.close()
    station = StationProcess(config_path)
    station.start()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield station, browser, TapDriver(pcscd), pcscd
        browser.close()
    station.stop()


def test_tap_shows_queue_number_and_prints_it(rig, capture):
    station, browser, driver, _ = rig
    page = open_page(browser, station.screen_url)
    check_layout(page, "idle")
    tap(driver, card("wang"))
    wait_screen(page, "checked_in")
    number = page.inner_text("#queue-number")
    assert number == "1" and "王*华" in page.inner_text("#screen")
    check_layout(page, "checked_in")
    deadline = time.monotonic() + 10
    while not capture.jobs and time.monotonic() < deadline:
        time.sleep(0.1)
    lines = decode(capture.jobs[-1]).text_lines
    assert lines[lines.index("排队号 Queue No.") + 1] == number
    tap(driver, card("wang"))
    wait_screen(page, "already_checked_in")
    check_layout(page, "already_checked_in")
    wait_screen(page, "idle", timeout=8000)  # back to idle by itself (idle_seconds = 4)
    page.close()


@pytest.mark.parametrize("card,screen", [
    (VirtualCard(bytes.fromhex("DEADBEEF")), "unknown_card"),
    (VirtualCard(LI, vanish_on_read=True), "read_error"),
    (VirtualCard(LI, answers_uid=False), "card_unsupported"),
])
def test_problem_screens(rig, card, screen):
    station, browser, driver, _ = rig
    page = open_page(browser, station.screen_url)
    tap(driver, card)
    wait_screen(page, screen)
    check_layout(page, screen)
    page.close()


def test_paper_out_screen_and_receipt_printed_later(rig, capture):
    station, browser, driver, _ = rig
    capture.state = PrinterState.PAPER_OUT
    page = open_page(browser, station.screen_url)
    before = len(capture.jobs)
    tap(driver, card("zhang"))
    wait_screen(page, "checked_in")
    page.wait_for_selector("#printer-notice", timeout=10000)
    check_layout(page, "printer_problem")
    assert "打印机缺纸" in page.inner_text("#status")
    capture.state = PrinterState.READY
    deadline = time.monotonic() + 15
    while len(capture.jobs) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(capture.jobs) == before + 1
    page.close()


@pytest.mark.parametrize("width,height", [(800, 480), (1024, 600), (1280, 800)])
def test_english_and_screen_sizes(rig, width, height):
    station, browser, driver, _ = rig
    page = open_page(browser, station.screen_url, width, height, lang="en")
    wait_screen(page, "idle")  # a tap of the last few seconds is shown first
    assert "Please tap your card" in page.inner_text("#screen")
    check_layout(page, "idle-en")
    tap(driver, card("chen"))  # checked in on the first size, "already" on the next
    page.wait_for_selector("#queue-number", timeout=8000)
    assert "Queue number" in page.inner_text("#screen")
    check_layout(page, "checked_in-en")
    page.close()


def test_reader_missing_then_back(rig):
    station, browser, driver, harness = rig
    page = open_page(browser, station.screen_url)
    harness.kill()
    wait_screen(page, "reader_missing", timeout=10000)
    check_layout(page, "reader_missing")
    harness.start()
    wait_screen(page, "idle", timeout=15000)
    page.close()


def test_page_reconnects_after_the_station_restarts(rig):
    station, browser, driver, harness = rig
    page = open_page(browser, station.screen_url)
    station.stop()
    page.wait_for_function("document.body.dataset.connected === 'no'", timeout=10000)
    station.start()
    page.wait_for_function("document.body.dataset.connected === 'yes'", timeout=15000)
    fresh = TapDriver(harness)
    tap(fresh, card("li"))
    wait_screen(page, "checked_in")
    fresh.close()
    page.close()
