"""Tap latency through the real pcscd: the kiosk's time against the bare reader's.

Run from the repository root with the test environment's Python:
    .venv/bin/python bench/tap_latency.py [--quick] [--taps N]

Both sides start their clock when PC/SC reports the card present (pcscd's own
presence polling, up to ~0.4 s with vpcd, is the same for both and is printed
separately as tap_to_report). bare_reader is pyscard connect + UID read with no
kiosk; tap_commit is the station process's connect + UID read + identify +
signed event committed (synchronous=FULL). Prints `figure: NAME = VALUE UNIT`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk.sim.pcscd import PcscdHarness  # noqa: E402
from kiosk.sim.virtual_card import VirtualCard  # noqa: E402

BARE_UIDS = [VirtualCard(bytes.fromhex(u), "uid") for u in ("04A1B2C3", "04112233445566",
                                                      "0411223344556677889A")]


@contextlib.contextmanager
def private_pcscd():
    """A private pcscd + vpcd in a temporary folder, with this process pointed at it."""
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
        harness = PcscdHarness(Path(tmp) / "pcscd")
        harness.start()
        os.environ.update(harness.env())
        try:
            yield harness, Path(tmp)
        finally:
            harness.stop()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def bare_reader(harness: PcscdHarness, uids: list, taps: int) -> list[float]:
    from smartcard import scard as sc

    from kiosk.testing.station import TapDriver
    driver, name, times = TapDriver(harness), harness.reader_names[0], []
    hr, ctx = sc.SCardEstablishContext(sc.SCARD_SCOPE_USER)
    for n in range(taps):
        driver.place(0, uids[n % len(uids)].copy_to(uids[n % len(uids)].uid))
        state = sc.SCARD_STATE_UNAWARE
        while True:
            hr, result = sc.SCardGetStatusChange(ctx, 2000, [(name, state)])
            state = result[0][1] & ~sc.SCARD_STATE_CHANGED
            if state & sc.SCARD_STATE_PRESENT:
                break
        start = time.monotonic_ns()
        hr, card, proto = sc.SCardConnect(ctx, name, sc.SCARD_SHARE_SHARED,
                                          sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1)
        hr, response = sc.SCardTransmit(card, proto, [0xFF, 0xCA, 0, 0, 0])
        sc.SCardDisconnect(card, sc.SCARD_LEAVE_CARD)
        times.append((time.monotonic_ns() - start) / 1e6)
        assert bytes(response[:-2]) == uids[n % len(uids)].uid
        driver.remove(0)
    sc.SCardReleaseContext(ctx)
    driver.close()
    return times


def station_taps(harness: PcscdHarness, work: Path, taps: int) -> tuple[list[float], list[float], float]:
    from kiosk.config.loader import load_config
    from kiosk.keys import generate_key_file
    from kiosk.testing.station import StationProcess, TapDriver, seed_residents, write_station_config
    config_path = write_station_config(work / "station", harness)
    generate_key_file(load_config(config_path).station.key_file)
    uids = seed_residents(config_path, 50)
    station, driver = StationProcess(config_path), TapDriver(harness)
    station.start()
    commit_ms, screen_ms = [], []
    for n in range(taps):
        placed = time.monotonic_ns()
        driver.place(0, uids[n % len(uids)].copy_to(uids[n % len(uids)].uid))
        report = station.next_report(5.0, reader=harness.reader_names[0])
        screen_ms.append((time.monotonic_ns() - placed) / 1e6)
        assert report and report["kind"] == "checked_in", report
        commit_ms.append(report["detect_to_commit_ms"])
        driver.remove(0)
    rss = station.peak_rss_mb()
    station.stop()
    driver.close()
    return commit_ms, screen_ms, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="15 taps each (under a minute)")
    parser.add_argument("--taps", type=int, default=200)
    args = parser.parse_args()
    taps = 15 if args.quick else args.taps
    with private_pcscd() as (harness, work):
        bare = bare_reader(harness, BARE_UIDS, taps)
        commit, screen, rss = station_taps(harness, work, taps)
    print(f"taps: {taps} bare, {taps} through the station (one slot, sequential)")
    print(f"figure: tap_commit_p50_ms = {pct(commit, 50):.1f} ms")
    print(f"figure: tap_commit_p95_ms = {pct(commit, 95):.1f} ms")
    print(f"figure: bare_reader_p50_ms = {pct(bare, 50):.1f} ms")
    print(f"figure: bare_reader_p95_ms = {pct(bare, 95):.1f} ms")
    print(f"figure: tap_overhead_p95_ms = {pct(commit, 95) - pct(bare, 95):.1f} ms")
    print(f"figure: tap_to_report_p95_ms = {pct(screen, 95):.1f} ms")
    print(f"figure: station_rss_mb = {rss:.1f} MB")
    print(f"mean tap_commit {statistics.mean(commit):.1f} ms, mean bare {statistics.mean(bare):.1f} ms")


if __name__ == "__main__":
    main()
