"""Calling the queue: "call next" pressed to the number on /display, and announcement renders.

Run from the repository root with the test environment's Python:
    .venv/bin/python bench/queue_latency.py [--quick]

A real station process (real pcscd for the technician's card tap) with the day's check-ins
seeded; Chromium holds the kiosk page, /display and the technician's desk page. Each call
is pressed from the desk page (fetch, Date.now() before it) and timed to the moment the
number appears on /display (a MutationObserver's Date.now(), same browser clock).
Announcements are rendered with espeak-ng through the Announcer: first (a new sentence)
and cached. Goals: p95 <= 200 ms to the display; first render <= 1 s, cached <= 20 ms.
Prints `figure: NAME = VALUE UNIT`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.screen_latency import CHROMIUM_ARGS, free_port  # noqa: E402
from bench.tap_latency import pct, private_pcscd  # noqa: E402

OBSERVER = """() => { window.__shown = {};
  new MutationObserver(() => { for (const n of document.querySelectorAll('.room-number')) {
      const q = n.dataset.queueNo; if (!(q in window.__shown)) window.__shown[q] = Date.now(); } })
  .observe(document.getElementById('board'), {childList: true, subtree: true}); }"""
PRESS = """async () => { const csrf = document.querySelector("input[name=csrf]").value;
  const t = Date.now();
  const r = await fetch("/staff/queue/call-next", {method: "POST", headers: {"X-Kiosk-Fetch": "1"},
      body: new URLSearchParams({csrf, room: "room1"})});
  return [t, (await r.json()).queue_no]; }"""


def seed_checkins(core, count: int) -> None:
    """The day's check-ins, straight through the unit of work (no card taps needed here)."""
    import datetime as dt

    from kiosk.domain.model import CheckIn, Resident, local_date
    from kiosk.domain.queue import new_entry
    today = local_date(core.clock.now(), core.config.station.timezone).isoformat()
    now = core.clock.now().astimezone(dt.UTC).isoformat(timespec="seconds")
    with core.uow() as uow:
        for n in range(1, count + 1):
            resident = Resident(f"bench-{n}", f"测试{n:03d}号")
            uow.residents.add(resident)
            checkin = CheckIn(str(uuid.uuid4()), resident.id, core.config.station.id, today,
                              uow.checkins.next_queue_no(core.config.station.id, today), now)
            uow.checkins.add(checkin)
            uow.queue.add(new_entry(checkin.id, today, checkin.queue_no))
            uow.record("checkin.created", {"checkin_id": checkin.id, "resident_id": resident.id,
                                           "local_date": today, "queue_no": checkin.queue_no,
                                           "card_no": None})
        uow.commit()


def call_to_display(harness, work: Path, calls: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    from kiosk.bootstrap import build_core
    from kiosk.config.loader import load_config
    from kiosk.demo.data import DEMO_TECHNICIAN, seed_demo
    from kiosk.domain.model import local_date
    from kiosk.keys import generate_key_file
    from kiosk.testing.station import StationProcess, TapDriver, write_station_config
    config_path = write_station_config(work / "station", harness, ui_port=free_port(),
                                       extra="\n[queue]\nvoice = false\n")
    config = load_config(config_path)
    generate_key_file(config.station.key_file)
    core = build_core(config)
    cards = seed_demo(core, local_date(core.clock.now(), config.station.timezone))
    seed_checkins(core, calls)
    core.close()
    station, driver = StationProcess(config_path), TapDriver(harness)
    station.start()
    times = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=CHROMIUM_ARGS)
            kiosk = browser.new_page(viewport={"width": 800, "height": 480})
            kiosk.goto(station.ui_url)
            display = browser.new_page(viewport={"width": 1920, "height": 1080})
            display.goto(station.ui_url + "display")
            desk = browser.new_context().new_page()
            desk.goto(station.screen_url)
            for page in (kiosk, display, desk):
                page.wait_for_function("document.body.dataset.connected === 'yes'")
            tech = cards["tech"]
            driver.place(0, tech.copy_to(tech.uid))
            desk.wait_for_selector("#screen[data-screen='pin_entry']")
            driver.remove(0)
            for digit in DEMO_TECHNICIAN[3]:
                desk.click(f".key[data-key='{digit}']")
            desk.click("#pin-ok")
            desk.wait_for_selector("#nav-queue")
            desk.goto(station.ui_url + "staff/queue/")
            display.evaluate(OBSERVER)
            for _ in range(calls):
                pressed, number = desk.evaluate(PRESS)
                display.wait_for_function(f"'{number}' in window.__shown", timeout=10000)
                times.append(display.evaluate(f"window.__shown['{number}']") - pressed)
            browser.close()
    finally:
        station.stop()
        driver.close()
    return times


def announce_ms(sentences: int) -> tuple[float, float]:
    from kiosk.adapters.speech import EspeakSpeech
    from kiosk.station.announcer import Announcer
    with tempfile.TemporaryDirectory(prefix="kiosk-voice-") as tmp:
        announcer = Announcer(EspeakSpeech(), Path(tmp))
        first, cached = [], []
        for n in range(1, sentences + 1):
            start = time.perf_counter()
            announcer.wav(n, "诊室1")
            first.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            announcer.wav(n, "诊室1")
            cached.append((time.perf_counter() - start) * 1000)
    return statistics.median(first), statistics.median(cached)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 calls, 5 announcements")
    args = parser.parse_args()
    calls, sentences = (20, 5) if args.quick else (100, 20)
    first, cached = announce_ms(sentences)
    with private_pcscd() as (harness, work):
        times = call_to_display(harness, work, calls)
    print(f"calls: {len(times)} to /display (kiosk page open too); announcements: {sentences}")
    print(f"figure: call_to_display_p50_ms = {pct(times, 50):.1f} ms")
    print(f"figure: call_to_display_p95_ms = {pct(times, 95):.1f} ms")
    print(f"figure: announce_render_ms = {first:.1f} ms")
    print(f"figure: announce_cached_ms = {cached:.2f} ms")


if __name__ == "__main__":
    main()
