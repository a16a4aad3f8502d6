"""Card authentication's cost per tap through the real pcscd: MIFARE Classic against cpu-ecc
and desfire cards, and another township's desfire card authenticated through the county.

Run from the repository root with the test environment's Python:
    .venv/bin/python bench/card_auth.py [--quick] [--taps N]

A real `kiosk serve --json` station (township chengguan, its card key file) and a real county
(`kiosk-county serve` on loopback, which relays xiqiao's cards) run side by side. Each tap is a
different resident, so every tap commits a new signed check-in. tap_commit is the station's
time from PC/SC reporting the card to the check-in's event committed (connect, UID, record,
authentication, identify, commit with synchronous=FULL; for the relayed kind also the
station's lookup of a visitor from another station at the county, as for any first tap of
hers there); bare_reader is pyscard connect + UID read with no kiosk, in the same run.
Goals: authentication adds at most 60 ms at p95 over MIFARE Classic; the relayed visitor's at
most 300 ms. Prints `figure: NAME = VALUE UNIT`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.tap_latency import BARE_UIDS, bare_reader, pct, private_pcscd  # noqa: E402

KINDS = ("mifare", "cpu-ecc", "desfire")


def seed(config_path: Path, kinds: dict[str, int], township_b: Path | None) -> dict[str, list]:
    """``count`` residents per kind, each with her own card issued at this station (the
    ``relay`` kind: desfire cards issued by a station of another township, known here)."""
    from kiosk.bootstrap import build_core
    from kiosk.config.loader import load_config
    from kiosk.domain.registry import Registration
    from kiosk.sim.wallet import issue_virtual_card
    cards: dict[str, list] = {}
    for kind, count in kinds.items():
        path = township_b if kind == "relay" else config_path
        assert path is not None
        core = build_core(load_config(path))
        cards[kind] = []
        for n in range(count):
            her = core.registry.register(Registration(f"测试居民{n}", "1990-01-01", "测试村",
                                                      consent=True), by="bench")
            uid = bytes([0x04, len(cards), n >> 8, n & 0xFF, 1, 2, 3])
            cards[kind].append(issue_virtual_card(core, "resident", her.id, uid,
                                                  "desfire" if kind == "relay" else kind))
        core.close()
    return cards


def taps(harness, station, cards: dict[str, list]) -> dict[str, tuple[list[float], list[float]]]:
    """Each kind's cards in turn (one tap of every kind, then the next round), so the load of
    a shared machine falls on all kinds alike: (tap → commit, card read) per kind."""
    from kiosk.testing.station import TapDriver
    driver = TapDriver(harness)
    results: dict[str, tuple[list[float], list[float]]] = {kind: ([], []) for kind in cards}
    for round_cards in zip(*cards.values(), strict=True):
        for kind, card in zip(cards, round_cards, strict=True):
            driver.place(0, card.same_card())
            report = station.next_report(10.0, reader=harness.reader_names[0])
            assert report and report["kind"] == "checked_in" and not report["repeat"], report
            results[kind][0].append(report["detect_to_commit_ms"])
            results[kind][1].append(report["read_ms"])
            driver.remove(0)
    driver.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 taps each (under a minute)")
    parser.add_argument("--taps", type=int, default=200)
    args = parser.parse_args()
    count = 10 if args.quick else args.taps
    from kiosk.config.loader import load_config
    from kiosk.keys import generate_key_file
    from kiosk.testing.cards import township_config
    from kiosk.testing.county_relay import CountyForStations
    from kiosk.testing.station import StationProcess
    started = time.monotonic()
    with private_pcscd() as (harness, work), CountyForStations(work / "county") as county:
        path_a = township_config(work / "cg", harness, "cg-01", "chengguan",
                                 extra=county.station_config())
        path_b = township_config(work / "xq", None, "xq-01", "xiqiao",
                                 extra=county.station_config())
        for path in (path_a, path_b):
            generate_key_file(load_config(path).station.key_file)
            county.enrol(path)
        cards = seed(path_a, {kind: count for kind in KINDS}, None)
        cards.update(seed(path_b, {"relay": count}, path_b))
        county.share_roster(path_b, path_a)
        bare = bare_reader(harness, BARE_UIDS, count)
        station = StationProcess(path_a)
        station.start()
        try:
            results = taps(harness, station, cards)
        finally:
            station.stop()
    base = pct(results["mifare"][0], 95)
    print(f"taps: {count} per kind, interleaved, one slot, each a new check-in; "
          f"{time.monotonic() - started:.0f} s in all")
    for kind, (commit, read) in results.items():
        print(f"figure: tap_commit_{kind.replace('-', '_')}_p50_ms = {pct(commit, 50):.1f} ms")
        print(f"figure: tap_commit_{kind.replace('-', '_')}_p95_ms = {pct(commit, 95):.1f} ms")
        print(f"  {kind}: card read + authentication p95 {pct(read, 95):.1f} ms")
    print(f"figure: bare_reader_p50_ms = {pct(bare, 50):.1f} ms")
    print(f"figure: bare_reader_p95_ms = {pct(bare, 95):.1f} ms")
    print(f"figure: auth_ecc_overhead_p95_ms = {pct(results['cpu-ecc'][0], 95) - base:.1f} ms")
    print(f"figure: auth_desfire_overhead_p95_ms = {pct(results['desfire'][0], 95) - base:.1f} ms")
    print(f"figure: auth_relay_overhead_p95_ms = {pct(results['relay'][0], 95) - base:.1f} ms")


if __name__ == "__main__":
    main()
