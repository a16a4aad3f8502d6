"""Tap to screen: taps through the real pcscd into a real Chromium page, against the bare reader.

Run from the repository root with the test environment's Python:
    .venv/bin/python bench/screen_latency.py [--quick]

screen: from PC/SC reporting the card (the station's clock, wall time) to the
page showing the new queue number (a MutationObserver's Date.now() in Chromium);
bare_reader: pyscard connect + UID read with no kiosk, same run. Receipt build
times are for one whole receipt. RSS is the station process's resident memory
after the taps (the page stays open throughout), with the touchscreen and the LAN desk both
on (budget: 80 MB). Prints `figure: NAME = VALUE UNIT`.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.tap_latency import BARE_UIDS, bare_reader, pct, private_pcscd  # noqa: E402
from kiosk.sim.pcscd import PcscdHarness  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
OBSERVER = """() => { window.__shown = [];
  new MutationObserver(() => { const n = document.querySelector('#queue-number');
    if (n) window.__shown.push([n.textContent, Date.now()]); })
  .observe(document.getElementById('screen'), {childList: true, subtree: true}); }"""


def receipt_build_ms(repeat: int = 20) -> tuple[float, float]:
    from kiosk.adapters.escpos_render import PrinterProfile, render_receipt
    from kiosk.adapters.receipt_layout import receipt_lines
    from kiosk.ops.print_sample import SAMPLE
    times = []
    for charset in ("gb18030", "ascii"):
        render_receipt(receipt_lines(SAMPLE), PrinterProfile(charset=charset))  # warm fonts
        start = time.perf_counter()
        for _ in range(repeat):
            render_receipt(receipt_lines(SAMPLE), PrinterProfile(charset=charset))
        times.append((time.perf_counter() - start) * 1000 / repeat)
    return times[0], times[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(harness: PcscdHarness, work: Path, screen_taps: int, total_taps: int, rss_mark: int):
    from playwright.sync_api import sync_playwright

    from kiosk.config.loader import load_config
    from kiosk.keys import generate_key_file
    from kiosk.testing.station import StationProcess, TapDriver, seed_residents, write_station_config
    # the touchscreen and the LAN desk both on: a station as technicians run it, whose memory
    # budget (80 MB beside Chromium on a 1 GB Pi 3B+) counts both
    desk = f'\n[desk]\nenabled = true\nhost = "127.0.0.1"\nport = {free_port()}\n'
    config_path = write_station_config(work / "station", harness, ui_port=free_port(), extra=desk)
    generate_key_file(load_config(config_path).station.key_file)
    uids = seed_residents(config_path, min(total_taps, 1000))
    station, driver = StationProcess(config_path), TapDriver(harness)
    station.start()
    screen_ms, rss = [], {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 800, "height": 480})
        page.goto(station.ui_url)
        page.wait_for_function("document.body.dataset.connected === 'yes'")
        page.evaluate(OBSERVER)
        for n in range(screen_taps):
            driver.place(0, uids[n].copy_to(uids[n].uid))
            report = station.next_report(5.0, reader=harness.reader_names[0])
            page.wait_for_function(f"window.__shown.some(s => s[0] === '{report['queue_no']}')")
            shown = next(t for q, t in page.evaluate("window.__shown") if q == str(report["queue_no"]))
            screen_ms.append(shown - report["detected_epoch_ms"])
            driver.remove(0)
        done = [screen_taps]

        def worker(slot: int) -> None:
            while True:
                with lock:
                    if done[0] >= total_taps:
                        return
                    n = done[0]
                    done[0] += 1
                driver.place(slot, uids[n % len(uids)].copy_to(uids[n % len(uids)].uid))
                station.next_report(5.0, reader=harness.reader_names[slot])
                driver.remove(slot)
                if n + 1 == rss_mark:
                    rss["mark"] = station.rss_mb()

        lock = threading.Lock()
        threads = [threading.Thread(target=worker, args=(slot,)) for slot in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rss["end"] = station.rss_mb()
        browser.close()
    station.stop()
    driver.close()
    return screen_ms, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="12 screen taps, RSS after 50 taps")
    args = parser.parse_args()
    screen_taps, total, mark = (12, 50, 20) if args.quick else (100, 1000, 200)
    text_ms, raster_ms = receipt_build_ms()
    with private_pcscd() as (harness, work):
        bare = bare_reader(harness, BARE_UIDS, screen_taps)
        screen, rss = run(harness, work, screen_taps, total, mark)
    print(f"taps: {screen_taps} to the screen (one slot), {total} in all; bare reader {len(bare)}")
    print(f"figure: screen_p50_ms = {pct(screen, 50):.1f} ms")
    print(f"figure: screen_p95_ms = {pct(screen, 95):.1f} ms")
    print(f"figure: bare_reader_p95_ms = {pct(bare, 95):.1f} ms")
    print(f"figure: screen_overhead_p95_ms = {pct(screen, 95) - pct(bare, 95):.1f} ms")
    print(f"figure: receipt_text_ms = {text_ms:.2f} ms")
    print(f"figure: receipt_raster_ms = {raster_ms:.2f} ms")
    if args.quick:
        print(f"(quick mode: the two RSS figures below are after {total} taps and from tap {mark})")
    print(f"figure: rss_after_1000_taps_mb = {rss['end']:.1f} MB")
    print(f"figure: rss_growth_200_1000_mb = {rss['end'] - rss['mark']:.1f} MB")


if __name__ == "__main__":
    main()
