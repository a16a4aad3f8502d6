"""Power cuts of a station at work, on the FUSE layer that loses every unsynced write.

A real `kiosk serve --json` (taps through pcscd and vpcd), syncing in its own thread to a
real county on loopback, runs with its data directory on kiosk.testing.lazyfs; power is
cut at random moments (right after a card's UID was read, so mid-commit; mid-sync; half of
the cuts tear the last unsynced write of each file). After every cut, on the data as the
cut left it: integrity_check ok, the event log verifies (the code of `kiosk verify-log`),
every check-in the station reported on its JSON output is there, every event the county
acknowledged is there, and no queue number was given twice. 200 cuts in the suite;
`pytest --power-cuts 20` for a quick run while developing (bench/power_cuts.py --quick too).
"""

from __future__ import annotations

import pytest

from tests.power.station_rig import run_power_cuts

pytestmark = [pytest.mark.pcsc, pytest.mark.slow]


# 6.4 min measured on 2 cores at load average 3 (the rig before one-writer and its bytecode
# cache: 21.5 min at load 14); about 1 s of CPU per cut (figure power_cut_cpu_mean_s)
@pytest.mark.timeout(1800)
def test_power_cuts_lose_nothing_reported_or_acknowledged(pcscd_running, tmp_path, request):
    cuts = request.config.getoption("--power-cuts")
    figures = run_power_cuts(tmp_path, pcscd_running, cuts)
    for line in figures.lines():
        print(line)
    assert figures.problems == []
    assert figures.power_cuts == cuts
    assert figures.reported_lost == 0 and figures.acked_lost == 0 and figures.staff_lost == 0
    assert figures.reported > cuts // 2  # the station got work done between the cuts
    assert figures.acked > 0 and figures.torn_cuts > 0 and figures.staff_actions > 0
