"""Sync on a station without a county: the station's sync thread waits quietly (the station
runs on, so systemd has nothing to restart), and starts pushing once the config names a
county, without a reinstall or a restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from kiosk.config.loader import load_config
from kiosk.store.database import connect_readonly
from kiosk.store.sync_log import sync_state
from kiosk.sync.county_wait import wait_for_county
from tests.county.test_county import county_cli, free_port, start_county
from tests.waiting import wait_until


def start_station(config: Path, log: Path) -> subprocess.Popen:
    """`kiosk serve` (the fake reader, no UI): sync is one of its threads."""
    return subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(config), "serve"],
                            stdout=subprocess.DEVNULL, stderr=log.open("wb"),
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_without_a_county_the_station_runs_and_sync_says_so_once(station_dir, tmp_path):
    log = tmp_path / "station.log"
    proc = start_station(station_dir / "kiosk.toml", log)
    try:
        assert wait_until(lambda: "No county configured" in log.read_text(), 30), log.read_text()
        time.sleep(6)  # more than one look at the config file
        assert proc.poll() is None, log.read_text()
        proc.send_signal(signal.SIGHUP)  # systemctl reload kiosk: re-read, still no county
        time.sleep(0.5)
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    lines = [line for line in log.read_text().splitlines() if "县级服务器" in line]
    assert len(lines) == 1, lines  # said once, nothing more for the journal
    assert "未配置县级服务器 / No county configured" in lines[0]
    assert "SQLite 3." in log.read_text()  # the station names its SQLite at start


def test_a_county_configured_later_starts_the_push(core, station_dir, tmp_path):
    with core.uow() as uow:
        uow.record("test.thing", {"n": 1})
        uow.commit()
    core.close()  # the station process is the database's writer from now on
    county_dir = tmp_path / "county"
    public = county_cli(county_dir, "init").split("public key (hex): ")[1].strip()
    county_cli(county_dir, "enroll", "--station", core.config.station.id,
               "--pubkey", core.key.public_bytes().hex())
    port = free_port()
    county = start_county(county_dir, port)
    path, log = station_dir / "kiosk.toml", tmp_path / "station.log"
    proc = start_station(path, log)
    reads = None
    try:
        assert wait_until(lambda: "No county configured" in log.read_text(), 30)
        reads = connect_readonly(core.config.station.database)
        # What a technician enrolling the station does: edit the config (no restart needed).
        path.write_text(path.read_text() + f'\n[county]\nurl = "http://127.0.0.1:{port}"\n'
                        f'public_key = "{public}"\n')
        assert wait_until(lambda: sync_state(reads).backlog == 0, 30), log.read_text()
        assert proc.poll() is None
        assert "已配置县级服务器 / County configured" in log.read_text()
        # `kiosk sync --once` on the console goes through the running station, never beside it
        once = subprocess.run([sys.executable, "-m", "kiosk", "--config", str(path), "sync",
                               "--once"], capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
        assert once.returncode == 0, once.stderr
        assert "站点正在运行：它现在就上传 / The station is running: it pushes now" in once.stderr
        assert "已同步 / In sync: 2" in once.stdout
    finally:
        if reads is not None:
            reads.conn.close()
        proc.send_signal(signal.SIGTERM)
        county.terminate()
        county.wait(10)
    assert proc.wait(10) == 0


def test_waiting_survives_a_broken_edit_and_answers_a_reload(station_dir, caplog):
    path = station_dir / "kiosk.toml"
    good = path.read_text()
    stop, wake = threading.Event(), threading.Event()
    found = []
    waiter = threading.Thread(target=lambda: found.append(
        wait_for_county(path, load_config, stop, wake, poll=60)))
    waiter.start()
    try:
        assert wait_until(lambda: "No county configured" in caplog.text, 5)
        path.write_text(good + "\n[county\n")  # half-saved: an error in the log, keep waiting
        wake.set()  # a reload (SIGHUP) re-reads at once, without waiting for the next look
        assert wait_until(lambda: "Configuration error" in caplog.text, 5)
        assert waiter.is_alive()
        path.write_text(good + '\n[county]\nurl = "http://127.0.0.1:9"\npublic_key = "' +
                        "ab" * 32 + '"\n')
        wake.set()
        waiter.join(5)
    finally:
        stop.set()
        wake.set()
        waiter.join(5)
    assert found and found[0].county.url == "http://127.0.0.1:9"


def test_stop_ends_the_wait(station_dir):
    stop, wake = threading.Event(), threading.Event()
    stop.set()
    wake.set()
    assert wait_for_county(station_dir / "kiosk.toml", load_config, stop, wake) is None
