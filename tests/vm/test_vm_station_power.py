"""Power cuts for real: QEMU is killed during a burst of taps inside the booted station (the
guest's page cache is gone, what it fsynced is on the disk), the station boots again, and
nothing it reported as checked in is missing or torn. 5 cuts in CI; `--cuts N` for more.
They run after test_vm_station.py, whose last test rebooted the station with a read-only root:
the root is then an overlay on memory (overlayroot) and the database is on the kiosk-data
disk, as on a station installed with --read-only-root. Run alone, they hit the writable root.
"""

from __future__ import annotations

import random
import time

import pytest

from tests.vstation.image import log
from tests.vstation.station import card_count, kiosk_cli, seed_cards, sql, start_taps, wait_reports, wait_station_ready

pytestmark = [pytest.mark.vm, pytest.mark.xdist_group("vm"), pytest.mark.timeout(3 * 3600)]


def test_power_cuts_during_a_burst_of_taps(virtual_station, request):
    station, cuts = virtual_station, request.config.getoption("--cuts")
    rng = random.Random(20261201)
    cards = seed_cards(station, card_count(cuts))  # enough for new check-ins at every cut
    assert len(cards) >= card_count(cuts), "seeded for fewer cuts: run the VM tests with --cuts"
    # The screen is not what a power cut tests, and Chromium under TCG would slow every boot.
    station.cmdline = f"{station.cmdline} systemd.mask=kiosk-browser.service".strip()
    root = station.sh("findmnt -n -o FSTYPE /").check().out.strip()
    boots, integrity = [], []
    for cut in range(cuts):
        before = len(station.checkins())
        start_taps(station, 400, pause=0.05, first=before)  # residents not yet checked in
        wait_reports(station, "checked_in", before + rng.randint(0, 6), timeout=90)
        time.sleep(rng.uniform(0.0, 1.5))
        station.kill()
        since = len(station.reports())
        boots.append(station.start())
        wait_station_ready(station, since)
        integrity.append(sql(station, "PRAGMA integrity_check")[0][0])
        lost = missing(station)  # after every cut: a long run that is stopped still says it
        log(f"cut {cut + 1}/{cuts}: {len(station.checkins())} check-ins reported so far, "
            f"{len(lost)} of them missing, boot {boots[-1]:.0f} s, integrity {integrity[-1]}")
        assert not lost, lost
    assert integrity == ["ok"] * cuts

    reported = [r for r in station.checkins() if not r["repeat"]]
    stored = {row[0]: tuple(row[1:]) for row in sql(
        station, "SELECT id, resident_id, local_date, queue_no FROM checkins")}
    logged = [row[0] for row in sql(
        station, "SELECT json_extract(payload, '$.checkin_id') FROM events "
                 "WHERE type = 'checkin.created'")]
    log(f"the cuts hit a station whose root is {root}")
    log(f"figure: vm power cuts = {cuts} cuts")
    log(f"figure: vm power cut check-ins reported = {len(reported)} check-ins")
    log(f"figure: vm power cut check-ins stored = {len(stored)} check-ins")
    log(f"figure: vm power cut mean boot = {sum(boots) / len(boots):.0f} s")
    assert reported, "no check-in was reported at all"
    assert not missing(station)
    assert sorted(logged) == sorted(stored)  # the state and the signed log agree
    for day in {d for _, d, _ in stored.values()}:
        numbers = sorted(q for _, d, q in stored.values() if d == day)
        assert numbers == list(range(1, len(numbers) + 1))  # no torn or doubled numbers
    result = kiosk_cli(station, "verify-log")
    assert result.rc == 0, result.out + result.err


def missing(station) -> list[dict]:
    """The check-ins the station reported (not repeats) that are not stored as reported."""
    stored = {row[0]: tuple(row[1:]) for row in sql(
        station, "SELECT id, resident_id, local_date, queue_no FROM checkins")}
    return [r for r in station.checkins() if not r["repeat"] and stored.get(r["checkin_id"]) != (
        r["resident_id"], r["local_date"], r["queue_no"])]
