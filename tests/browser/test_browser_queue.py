"""Calling the queue in Chromium, through the real station process and real pcscd.

Residents tap in; a technician calls from the desk page; the kiosk page's band and the
waiting-room /display (at 1920x1080 and 1280x720) show the number; a no-show and a
put-back reorder the line; two presses of "call next" at the same moment call two
different numbers; the announcement is a real espeak-ng WAV; after a SIGKILL the call
is still on the screen.
"""

from __future__ import annotations

import pytest

from kiosk.bootstrap import build_core
from kiosk.config.loader import load_config
from kiosk.demo.data import DEMO_TECHNICIAN, seed_demo
from kiosk.domain.model import local_date
from kiosk.keys import generate_key_file
from kiosk.testing.station import write_station_config
from tests.browser.chromium import ARTIFACTS, free_port, open_page, tap, wait_screen
from tests.browser.station_rig import station_in_chromium

pytestmark = [pytest.mark.pcsc, pytest.mark.browser]
ROOMS = '\n[[queue.rooms]]\nid = "room1"\nname = "诊室1"\n\n[[queue.rooms]]\nid = "lab"\nname = "化验室"\n'


@pytest.fixture(scope="module")
def rig(pcscd, tmp_path_factory):
    config_path = write_station_config(tmp_path_factory.mktemp("queue"), pcscd, extra=ROOMS,
                                       ui_port=free_port(), idle_seconds=5)
    config = load_config(config_path)
    generate_key_file(config.station.key_file)
    core = build_core(config)
    cards = seed_demo(core, local_date(core.clock.now(), config.station.timezone))
    core.close()
    with station_in_chromium(pcscd, config_path, ("--autoplay-policy=no-user-gesture-required",)
                             ) as (station, browser, driver):
        yield station, browser, driver, cards


def fresh(cards, name):
    return cards[name].same_card()


def shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.screenshot(path=str(ARTIFACTS / f"queue-{name}-{size['width']}x{size['height']}.png"))


def no_scroll(page):
    layout = page.evaluate("""() => { const d = document.documentElement;
        return [d.scrollWidth <= d.clientWidth, d.scrollHeight <= d.clientHeight]; }""")
    assert layout == [True, True]


def desk_login(browser, station, driver, cards):
    """The technician's desk page in its own browser context: her card, then her PIN."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    desk = context.new_page()
    desk.goto(station.screen_url)  # the kiosk's own page: only it gets the PIN form
    desk.wait_for_function("document.body.dataset.connected === 'yes'")
    tap(driver, fresh(cards, "tech"))
    wait_screen(desk, "pin_entry")
    for digit in DEMO_TECHNICIAN[3]:
        desk.click(f".key[data-key='{digit}']")
    desk.click("#pin-ok")
    desk.wait_for_selector("#nav-queue")
    desk.goto(station.ui_url + "staff/queue/")
    return desk


def waiting(desk) -> list[str]:
    return desk.eval_on_selector_all("#waiting tr[data-queue-no]", "rows => rows.map(r => r.dataset.queueNo)")


def press_call_next_twice_at_once(desk):
    return desk.evaluate("""async () => {
        const csrf = document.querySelector("input[name=csrf]").value;
        const press = room => fetch("/staff/queue/call-next", {method: "POST",
            headers: {"X-Kiosk-Fetch": "1"}, body: new URLSearchParams({csrf, room})})
            .then(r => r.json());
        const both = await Promise.all([press("room1"), press("lab")]);
        return both.map(b => b.queue_no);
    }""")


def test_calling_the_queue_end_to_end(rig):
    station, browser, driver, cards = rig
    kiosk = open_page(browser, station.ui_url)
    display = open_page(browser, station.ui_url + "display", 1920, 1080)
    small_display = open_page(browser, station.ui_url + "display", 1280, 720)
    for name in ("wang", "li", "zhang", "chen"):
        tap(driver, fresh(cards, name))
        kiosk.wait_for_selector("#queue-ahead", timeout=8000)  # how many are ahead of her
    desk = desk_login(browser, station, driver, cards)
    assert waiting(desk) == ["1", "2", "3", "4"]

    desk.click("#call-next")
    display.wait_for_selector(".room-number[data-queue-no='1']", timeout=5000)
    small_display.wait_for_selector(".room-number[data-queue-no='1']", timeout=5000)
    kiosk.wait_for_selector("#call-band .call[data-queue-no='1']", timeout=5000)
    assert "请 1 号 到 诊室1" in kiosk.inner_text("#call-band")
    assert "王" not in display.inner_text("#board")  # numbers only by default
    for page, name in ((display, "display"), (small_display, "display"), (kiosk, "band")):
        no_scroll(page)
        shot(page, name)

    # the band never covers a check-in in progress
    tap(driver, fresh(cards, "wang"))
    wait_screen(kiosk, "already_checked_in")
    band, screen = (kiosk.locator(s).bounding_box() for s in ("#call-band", "#screen"))
    assert band["y"] + band["height"] <= screen["y"]
    shot(kiosk, "band-with-checkin")

    desk = desk_login(browser, station, driver, cards)  # her tap ended the technician session
    desk.click("#my-calls button[data-move='no_show'][data-queue-no='1']")
    assert waiting(desk) == ["2", "3", "4"]
    desk.click("#no-shows button[data-move='put_back'][data-queue-no='1']")
    assert waiting(desk) == ["2", "3", "1", "4"]  # behind the next two, not at the end
    shot(desk, "desk")

    called = press_call_next_twice_at_once(desk)
    assert sorted(called) == [2, 3]
    for number in called:
        display.wait_for_selector(f".room-number[data-queue-no='{number}']", timeout=5000)
    display.wait_for_function("parseInt(document.body.dataset.calls || '0') >= 3", timeout=5000)

    audio = display.evaluate("""async () => {
        const r = await fetch(document.body.dataset.lastAudio);  // the URL with the call's pass
        const b = new Uint8Array(await r.arrayBuffer());
        return {type: r.headers.get("content-type"), size: b.length,
                head: String.fromCharCode(...b.slice(0, 4)) + String.fromCharCode(...b.slice(8, 12))};
    }""")
    assert audio["type"] == "audio/wav" and audio["head"] == "RIFFWAVE"
    assert audio["size"] > 50_000  # chime and the sentence twice, about 9 s
    assert display.evaluate("fetch('/voice/2/room1.wav').then(r => r.status)") == 404  # no pass

    # SIGKILL right after a call: after the restart the entry is still called and shown
    desk.click("#call-next")
    desk.wait_for_selector("#my-calls tr[data-queue-no='1']")  # committed
    station.kill()
    station.start()
    display.wait_for_function("document.body.dataset.connected === 'yes'", timeout=15000)
    restarted = open_page(browser, station.ui_url + "display", 1920, 1080)
    restarted.wait_for_selector(".room-number[data-queue-no='1']", timeout=5000)
    display.wait_for_selector(".room-number[data-queue-no='1']", timeout=5000)
    for page in (kiosk, desk, display, small_display, restarted):
        page.close()
