"""Desk tap to her record: taps on the desk reader through the real pcscd, into a desk page
open in Chromium over HTTPS, against the bare reader in the same run.

Run from the repository root with the test environment's Python:
    .venv/bin/python bench/desk_latency.py [--quick]

desk_record: from placing her card on the desk reader's vpcd slot (wall clock) to her record
page's DOMContentLoaded in Chromium (performance.timing, wall clock; same machine); the desk
page long-polls the station and then loads her record page, which records record.viewed.
bare_reader: from placing a card on the same slot to a plain pyscard client having seen it and
read its UID (no station), same pcscd, same run. desk_overhead_p95 = p95(desk_record) -
p95(bare_reader): what the station, the desk's long poll, TLS and the page load add (goal:
at most 150 ms). Prints `figure: NAME = VALUE UNIT`.
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.screen_latency import CHROMIUM_ARGS  # noqa: E402
from bench.tap_latency import BARE_UIDS, pct, private_pcscd  # noqa: E402
from kiosk.sim.pcscd import PcscdHarness  # noqa: E402

DESK_SLOT = 1
STEPS: list[tuple[float, ...]] = []  # the record page's navigation timing, per tap
PIN = "246813"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bare_taps(harness: PcscdHarness, taps: int) -> list[float]:
    """Placing a card to a PC/SC client having read its UID, on the desk slot, no station."""
    from smartcard import scard as sc

    from kiosk.testing.station import TapDriver
    driver, name, times = TapDriver(harness), harness.reader_names[DESK_SLOT], []
    hr, ctx = sc.SCardEstablishContext(sc.SCARD_SCOPE_USER)
    for n in range(taps):
        card = BARE_UIDS[n % len(BARE_UIDS)]
        state = sc.SCARD_STATE_UNAWARE
        hr, result = sc.SCardGetStatusChange(ctx, 0, [(name, state)])
        state = result[0][1] & ~sc.SCARD_STATE_CHANGED
        start = time.monotonic_ns()
        driver.place(DESK_SLOT, card.copy_to(card.uid))
        while not state & sc.SCARD_STATE_PRESENT:
            hr, result = sc.SCardGetStatusChange(ctx, 2000, [(name, state)])
            state = result[0][1] & ~sc.SCARD_STATE_CHANGED
        hr, handle, proto = sc.SCardConnect(ctx, name, sc.SCARD_SHARE_SHARED,
                                            sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1)
        hr, response = sc.SCardTransmit(handle, proto, [0xFF, 0xCA, 0, 0, 0])
        sc.SCardDisconnect(handle, sc.SCARD_LEAVE_CARD)
        times.append((time.monotonic_ns() - start) / 1e6)
        assert bytes(response[:-2]) == card.uid
        driver.remove(DESK_SLOT)
    sc.SCardReleaseContext(ctx)
    driver.close()
    return times


def desk_taps(harness: PcscdHarness, work: Path, taps: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    from kiosk.adapters.desk_tls import CERT_NAME, spki_sha256_base64
    from kiosk.config.loader import load_config
    from kiosk.keys import generate_key_file
    from kiosk.testing.station import StationProcess, TapDriver, add_technician, seed_residents, write_station_config
    directory = work / "station"
    config_path = write_station_config(directory, harness, ui_port=free_port(), extra=(
        f'\n[reader.roles]\n"{harness.reader_names[DESK_SLOT]}" = "desk"\n'
        f'\n[desk]\nenabled = true\nhost = "127.0.0.1"\nport = {free_port()}\n'))
    generate_key_file(load_config(config_path).station.key_file)
    cards = seed_residents(config_path, taps)
    _, tech = add_technician(config_path, "赵技术员", PIN)
    station, driver = StationProcess(config_path), TapDriver(harness)
    station.start()
    spki = spki_sha256_base64(directory / CERT_NAME)
    record_ms: list[float] = []
    phases: list[tuple[float, float]] = []
    retried = 0
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[*CHROMIUM_ARGS, f"--ignore-certificate-errors-spki-list={spki}"])
            page = browser.new_context(ignore_https_errors=False,
                                       viewport={"width": 1366, "height": 768}).new_page()
            page.goto(station.desk_url)
            page.wait_for_selector("#desk-waiting", state="visible")
            driver.place(DESK_SLOT, tech.copy_to(tech.uid))
            page.wait_for_selector("#desk-pin-form", state="visible")
            driver.remove(DESK_SLOT)
            page.keyboard.type(PIN)
            page.keyboard.press("Enter")
            page.wait_for_selector("#checkins-today")
            station.next_report(5.0, reader=harness.reader_names[DESK_SLOT])  # her own card's
            for n in range(taps):
                placed, shown, report = tap_to_record(page, driver, station, harness, cards[n], n)
                if shown is None:  # the reader missed it (a loaded machine): tap again, once
                    retried += 1
                    placed, shown, report = tap_to_record(page, driver, station, harness,
                                                          cards[n], n)
                assert shown is not None, f"tap {n}: her record was not shown"
                record_ms.append(shown - placed)
                if report:
                    decided = report["detected_epoch_ms"] + report["detect_to_commit_ms"]
                    phases.append((decided - placed, shown - decided, STEPS[-1][0] - decided))
            browser.close()
    finally:
        station.stop()
        driver.close()
    return record_ms, phases, retried


def tap_to_record(page, driver, station, harness, card, n: int):
    """(placed, record shown, the station's report): wall-clock ms; shown None if it was not."""
    desk_reader = harness.reader_names[DESK_SLOT]
    placed = time.time() * 1000
    driver.place(DESK_SLOT, card.copy_to(card.uid))
    try:
        page.wait_for_url(f"**/staff/residents/res-{n:03d}", wait_until="domcontentloaded",
                          timeout=5_000)
        timing = page.evaluate("JSON.parse(JSON.stringify(performance.timing))")
        shown = timing["domContentLoadedEventEnd"]
        STEPS.append((timing["navigationStart"], timing["requestStart"], timing["responseStart"],
                      timing["responseEnd"], shown))
    except Exception:  # playwright's TimeoutError
        shown = None
    report = station.next_report(1.0, reader=desk_reader)
    driver.remove(DESK_SLOT)
    while station.next_report(0.05, reader=desk_reader):  # a doubled tap's second report
        pass
    return placed, shown, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 desk taps instead of 100")
    args = parser.parse_args()
    taps = 20 if args.quick else 100
    with private_pcscd() as (harness, work):
        bare = bare_taps(harness, taps)
        record, phases, retried = desk_taps(harness, work, taps)
    print(f"taps: {taps} on the desk reader to her record in Chromium over HTTPS; "
          f"{len(bare)} bare on the same slot")
    if phases:
        print(f"p50 placing to the station's decision {pct([p[0] for p in phases], 50):.0f} ms, "
              f"decision to her record shown {pct([p[1] for p in phases], 50):.0f} ms (of which "
              f"to the page's navigation {pct([p[2] for p in phases], 50):.0f} ms, the server's "
              f"answer {pct([s[2] - s[1] for s in STEPS], 50):.0f} ms, connecting "
              f"{pct([s[1] - s[0] for s in STEPS], 50):.0f} ms, loading it "
              f"{pct([s[4] - s[3] for s in STEPS], 50):.0f} ms); "
              f"taps the reader missed and that were tapped again: {retried}")
    print(f"figure: desk_record_p50_ms = {pct(record, 50):.1f} ms")
    print(f"figure: desk_record_p95_ms = {pct(record, 95):.1f} ms")
    print(f"figure: desk_bare_reader_p50_ms = {pct(bare, 50):.1f} ms")
    print(f"figure: desk_bare_reader_p95_ms = {pct(bare, 95):.1f} ms")
    print(f"figure: desk_overhead_p95_ms = {pct(record, 95) - pct(bare, 95):.1f} ms")


if __name__ == "__main__":
    main()
