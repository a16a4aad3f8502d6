"""`kiosk sync` while the station runs and the county cannot be reached (issue 21): it says what
it waits for, and stops: at once with the county's error when the station's push fails fast
(nothing listens there), at its --timeout when the county never answers (a dead line that
holds each request), never silently for minutes."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.store.writer import station_running
from tests.county.test_county import free_port
from tests.station.test_sync_no_county import start_station
from tests.waiting import wait_until


def kiosk_sync(config: Path, timeout: float) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "kiosk", "--config", str(config), "sync",
                             "--timeout", str(timeout)], capture_output=True, text=True,
                            timeout=timeout + 60, stdin=subprocess.DEVNULL)
    return result, time.monotonic() - started


@pytest.fixture
def station_with_county(core, station_dir, tmp_path):
    """A running station (`kiosk serve`) with one event waiting, and a county URL to fill in."""
    with core.uow() as uow:
        uow.record("test.thing", {"n": 1})
        uow.commit()
    core.close()  # the station process is the database's writer from now on
    path, log = station_dir / "kiosk.toml", tmp_path / "station.log"
    started = []

    def start(url: str) -> Path:
        path.write_text(path.read_text() + f'\n[county]\nurl = "{url}"\npublic_key = "{"ab" * 32}"\n')
        started.append(start_station(path, log))
        assert wait_until(lambda: station_running(core.config.station.database), 30), log.read_text()
        return path

    yield start
    for proc in started:
        proc.terminate()
        assert proc.wait(15) == 0, log.read_text()


def test_nothing_listening_at_the_county_fails_at_once_with_its_error(station_with_county):
    url = f"http://127.0.0.1:{free_port()}"
    result, took = kiosk_sync(station_with_county(url), timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"正在等待站点上传到县级服务器 {url}" in result.stderr  # what it waits for
    assert "站点已收到请求，正在上传 / The station took the request and is pushing" in result.stderr
    assert f"站点连不上县级服务器 {url}" in result.stderr and "Connection refused" in result.stderr
    assert "it tries again by itself in" in result.stderr
    assert took < 30, took  # the station's answer, not the 60 s timeout


def test_a_county_that_never_answers_stops_at_the_timeout_and_says_why(station_with_county):
    with socket.socket() as silent:  # takes the connection, never answers: a dead line
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        result, took = kiosk_sync(station_with_county(url), timeout=12)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"正在等待站点上传到县级服务器 {url}（最多 12 秒）" in result.stderr
    assert "仍在等待 / Still waiting" in result.stderr  # it shows that it is not hung
    assert url in result.stderr.splitlines()[-1] and "journalctl -u kiosk" in result.stderr
    assert 12 <= took < 12 + 15, took
