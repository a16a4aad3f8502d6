"""500 taps of 50 virtual cards through the real pcscd into a real station process."""

import random
import threading

import pytest
from click.testing import CliRunner

from kiosk.cli.main import main
from kiosk.config.loader import load_config
from kiosk.keys import generate_key_file
from kiosk.testing.station import StationProcess, TapDriver, seed_residents, write_station_config
from tests.waiting import wait_until

pytestmark = [pytest.mark.pcsc, pytest.mark.slow]


def tap_all(driver, station, plan, report_timeout=4.0, retries=0, retried=None):
    """Tap ``plan`` (a list of UIDs) on both slots in parallel; return the reports per UID.

    With ``retries``, a tap that got no check-in is tapped again, as a resident would when
    the screen says "tap again"; each retry is appended to ``retried``.
    """
    lock, position, results = threading.Lock(), [0], []

    def worker(slot):
        reader = driver.harness.reader_names[slot]
        while True:
            with lock:
                if position[0] >= len(plan):
                    return
                uid = plan[position[0]]
                position[0] += 1
            for attempt in range(retries + 1):
                driver.place(slot, uid.copy_to(uid.uid))
                report = station.next_report(report_timeout, reader=reader)
                driver.remove(slot)
                if report and report["kind"] == "checked_in":
                    break
                if retried is not None and attempt < retries:
                    retried.append(report)
            with lock:
                results.append((uid, report))

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def station_setup(pcscd_running, tmp_path):
    config_path = write_station_config(tmp_path / "st", pcscd_running)
    generate_key_file(load_config(config_path).station.key_file)
    uids = seed_residents(config_path, 50)
    station = StationProcess(config_path)
    station.start()
    driver = TapDriver(pcscd_running)
    yield config_path, uids, station, driver
    driver.close()
    station.stop()


def test_500_taps_of_50_cards(station_setup):
    config_path, uids, station, driver = station_setup
    plan = [random.Random(7).choice(uids) for _ in range(450)]
    plan = uids + plan  # every card at least once, then 450 repeat taps in random order
    random.Random(8).shuffle(plan)
    retried = []
    results = tap_all(driver, station, plan, retries=2, retried=retried)
    assert len(results) == 500 and len(retried) <= 5, retried
    assert all(r and r["kind"] == "checked_in" for _, r in results), [r for _, r in results
                                                                      if not r or r["kind"] != "checked_in"][:3]
    checkins = [r for r in station.all_reports if r["kind"] == "checked_in"]
    first = [r for r in checkins if not r["repeat"]]
    assert len(first) == 50 and len({r["resident_id"] for r in first}) == 50
    by_seq = sorted(first, key=lambda r: r["event_seq"])
    assert [r["queue_no"] for r in by_seq] == list(range(1, 51))  # numbered in commit order
    number = {r["resident_id"]: r["queue_no"] for r in first}
    assert all(r["queue_no"] == number[r["resident_id"]] for r in checkins)
    station.stop()

    runner = CliRunner()
    ok = runner.invoke(main, ["--config", str(config_path), "verify-log"])
    assert ok.exit_code == 0, ok.output
    from kiosk.store.database import connect_readonly as connect
    db = connect(load_config(config_path).station.database)
    assert db.execute("SELECT COUNT(*) FROM checkins").fetchone()[0] == 50
    assert db.execute("SELECT COUNT(*) FROM events WHERE type = 'checkin.created'").fetchone()[0] == 50
    target = by_seq[20]["event_seq"]
    payload = db.execute("SELECT payload FROM events WHERE seq = ?", (target,)).fetchone()[0]
    import sqlite3  # someone with the SD card edits the file behind the station's back
    with sqlite3.connect(load_config(config_path).station.database) as tamper:
        tamper.execute("DROP TRIGGER events_no_update")
        tamper.execute("UPDATE events SET payload = ? WHERE seq = ?",
                       (payload.replace('"queue_no":21', '"queue_no":71'), target))
    tamper.close()
    bad = runner.invoke(main, ["--config", str(config_path), "verify-log"])
    assert bad.exit_code == 1 and f"FAIL event seq {target} " in bad.output


def wait_for_status(station, state, timeout=15.0):
    return wait_until(lambda: bool(station.statuses) and station.statuses[-1]["state"] == state,
                      timeout)


def test_station_process_rides_out_a_pcscd_crash(station_setup, pcscd_running):
    config_path, uids, station, driver = station_setup
    assert wait_for_status(station, "ready")
    pcscd_running.kill()
    assert wait_for_status(station, "service_unavailable")
    pcscd_running.start()
    assert wait_for_status(station, "ready")
    fresh = TapDriver(pcscd_running)
    fresh.place(0, uids[0].copy_to(uids[0].uid))
    report = station.next_report(5.0, reader=pcscd_running.reader_names[0])
    fresh.remove(0)
    fresh.close()
    assert report and report["kind"] == "checked_in" and report["queue_no"] == 1
