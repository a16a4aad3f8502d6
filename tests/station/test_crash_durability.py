"""SIGKILL the station 20 times during 300 rapid taps: nothing committed is lost, nothing torn."""

import json
import random
import threading
import time

import pytest
from click.testing import CliRunner

from kiosk.cli.main import main
from kiosk.config.loader import load_config
from kiosk.keys import generate_key_file
from kiosk.store.database import connect_readonly as connect
from kiosk.testing.station import StationProcess, TapDriver, seed_residents, write_station_config
from tests.pcsc.test_pcsc_end_to_end import tap_all

pytestmark = [pytest.mark.pcsc, pytest.mark.slow]
KILLS = 20


def killer(station, driver, done, kills, rng):
    """Half the kills land at a random moment, half just after a UID read (mid-commit)."""
    while len(kills) < KILLS and not done.is_set():
        time.sleep(rng.uniform(0.2, 2.5))
        if len(kills) % 2:
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline and not any(s.uid_read.is_set() for s in driver.slots):
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.06))
        station.kill()
        kills.append(time.monotonic())
        station.start()


def test_sigkill_during_rapid_taps(pcscd_running, tmp_path):
    rng = random.Random(20261128)
    config_path = write_station_config(tmp_path / "st", pcscd_running)
    config = load_config(config_path)
    generate_key_file(config.station.key_file)
    uids = seed_residents(config_path, 50)
    station, driver = StationProcess(config_path), TapDriver(pcscd_running)
    station.start()
    done, kills = threading.Event(), []
    chaos = threading.Thread(target=killer, args=(station, driver, done, kills, rng))
    chaos.start()
    plan = [rng.choice(uids) for _ in range(300)]
    try:
        tap_all(driver, station, plan, report_timeout=2.0)
        while len(kills) < KILLS:  # the taps ran out first: keep tapping until all kills happened
            tap_all(driver, station, [rng.choice(uids) for _ in range(10)], report_timeout=2.0)
    finally:
        done.set()
        chaos.join()
        driver.close()
        station.stop()
    assert len(kills) == KILLS

    db = connect(config.station.database)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {row[0]: row[1:] for row in db.execute(
        "SELECT id, resident_id, local_date, queue_no FROM checkins")}
    events = [json.loads(p) for (p,) in db.execute(
        "SELECT payload FROM events WHERE type = 'checkin.created' ORDER BY seq")]
    reported = [r for r in station.all_reports if r["kind"] == "checked_in" and not r["repeat"]]
    assert reported, "no check-in was reported at all"
    for report in reported:  # everything the station said it committed is there
        assert stored[report["checkin_id"]] == (report["resident_id"], report["local_date"],
                                                report["queue_no"])
    assert sorted(e["checkin_id"] for e in events) == sorted(stored)  # state and log agree
    for day in {d for _, d, _ in stored.values()}:
        numbers = sorted(q for _, d, q in stored.values() if d == day)
        assert numbers == list(range(1, len(numbers) + 1))  # no torn or doubled numbers
    assert len({(r, d) for r, d, _ in stored.values()}) == len(stored)
    db.conn.close()
    result = CliRunner().invoke(main, ["--config", str(config_path), "verify-log"])
    assert result.exit_code == 0, result.output
