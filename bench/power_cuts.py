"""Power cuts of a station at work: taps, its sync thread pushing to a county on loopback, and
the power cut at random moments on the FUSE layer that loses unsynced writes (kiosk/testing/lazyfs.py).

Run from the repository root with the test environment's Python, as root (FUSE):
    .venv/bin/python bench/power_cuts.py [--quick] [--cuts N]

200 cuts (the suite's tests/power/test_station_power_cuts.py), 20 with --quick. Goal: nothing
the station reported or the county acknowledged is lost. Prints `figure: NAME = VALUE UNIT`.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.tap_latency import private_pcscd  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 cuts instead of 200")
    parser.add_argument("--cuts", type=int, default=None)
    args = parser.parse_args()
    cuts = args.cuts or (20 if args.quick else 200)
    from tests.power.station_rig import run_power_cuts
    started = time.monotonic()
    with private_pcscd() as (harness, _), tempfile.TemporaryDirectory(prefix="kiosk-power-") as tmp:
        figures = run_power_cuts(Path(tmp), harness, cuts,
                                 progress=lambda n, f: print(f"cut {n}/{cuts}", file=sys.stderr))
    for line in figures.lines():
        print(line)
    print(f"figure: power_cut_run_s = {time.monotonic() - started:.1f} s")
    used = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    print(f"figure: power_cut_cpu_s = {sum(u.ru_utime + u.ru_stime for u in used):.1f} s")
    for problem in figures.problems:
        print("FAIL", problem)
    return 1 if figures.problems else 0


if __name__ == "__main__":
    sys.exit(main())
