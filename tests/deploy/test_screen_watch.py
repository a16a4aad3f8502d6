"""kiosk.ops.screen_watch, the browser unit's main process: it fails (so systemd restarts the unit)
when cage exits or when the station has no kiosk page connected, never sits "active" over a
black screen; and real cage 0.1.4 behaves as the watcher assumes."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from kiosk.ops.screen_watch import connected_screens, watch
from kiosk.station.hub import ScreenHub
from kiosk.web import create_app
from kiosk.web.server import UiServer
from tests.county.test_county import free_port

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


@pytest.fixture
def station():
    hub = ScreenHub()
    server = UiServer(create_app(hub, {"STATION_NAME": "测试站", "IDLE_SECONDS": 5}),
                      "127.0.0.1", 0)
    server.start()
    yield hub, f"http://127.0.0.1:{server.port}"
    server.stop()


def open_page(url: str):
    """What the touchscreen's Chromium does: keep /events open (from loopback)."""
    stream = urllib.request.urlopen(url + "/events", timeout=10)
    stream.readline()
    return stream


def timed_watch(command, healthz, grace, stop=None) -> tuple[int, float]:
    start = time.monotonic()
    code = watch(command, healthz + "/healthz", grace=grace, poll=0.1, stop=stop)
    return code, time.monotonic() - start


def test_cage_exiting_fails_the_unit_even_with_status_0(station):
    _, url = station
    code, took = timed_watch([sys.executable, "-c", "pass"], url, grace=60)
    assert code == 1 and took < 10


def test_no_kiosk_page_connected_fails_after_the_grace_period(station):
    hub, url = station
    code, took = timed_watch(SLEEPER, url, grace=1.0)
    assert code == 1 and 1.0 <= took < 10
    assert connected_screens(url + "/healthz") == 0


def test_a_connected_page_keeps_it_running_until_stopped(station):
    hub, url = station
    page = open_page(url)
    assert connected_screens(url + "/healthz") == 1
    stop = threading.Event()
    threading.Timer(2.0, stop.set).start()
    code, took = timed_watch(SLEEPER, url, grace=0.5, stop=stop)
    page.close()
    assert code == 0 and took >= 1.5  # connected: it outlived three grace periods, until stopped


def test_a_station_that_does_not_answer_is_not_the_browsers_fault():
    stop = threading.Event()
    threading.Timer(1.5, stop.set).start()
    code, _ = timed_watch(SLEEPER, f"http://127.0.0.1:{free_port()}", grace=0.3, stop=stop)
    assert code == 0


def test_sigterm_stops_cage_and_exits_cleanly(tmp_path):
    pidfile = tmp_path / "child.pid"
    child = f"import os, time; open({str(pidfile)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.ops.screen_watch", "--healthz",
                             f"http://127.0.0.1:{free_port()}/healthz", "--",
                             sys.executable, "-c", child])
    deadline = time.monotonic() + 20
    while not pidfile.exists() or not pidfile.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0
    assert not Path(f"/proc/{pidfile.read_text()}").exists()


def test_an_empty_grace_falls_back_to_the_default(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.ops.screen_watch", "--grace", "", "--",
                             *SLEEPER], stderr=subprocess.PIPE, text=True)
    assert "using 120" in proc.stderr.readline()
    time.sleep(0.5)  # past installing its SIGTERM handler
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0


def test_usage_without_a_command():
    result = subprocess.run([sys.executable, "-m", "kiosk.ops.screen_watch"], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 2 and "screen_watch" in result.stderr


def cage_command(runtime: Path, client: list[str]) -> list[str]:
    """Real cage on wlroots' headless backend (no GPU here); cage refuses to run as root."""
    env = ["env", f"XDG_RUNTIME_DIR={runtime}", "WLR_BACKENDS=headless", "WLR_RENDERER=pixman",
           "WLR_LIBINPUT_NO_DEVICES=1"]
    # setpriv execs (runuser would fork and not pass SIGTERM on), so cage is the watched child.
    prefix = (["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
              if os.geteuid() == 0 else [])
    return [*prefix, *env, shutil.which("cage") or "/usr/bin/cage", "-d", "-s", "--", *client]


@pytest.fixture
def runtime():
    """A runtime directory the user running cage can reach (pytest's own tmp is 0700 root)."""
    directory = Path(tempfile.mkdtemp(prefix="kiosk-cage-"))
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(directory, nobody.pw_uid, nobody.pw_gid)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def test_real_cage_exits_0_when_its_client_crashes(runtime):
    """Why the watcher turns every cage exit into a failure."""
    result = subprocess.run(cage_command(runtime, ["sh", "-c", "kill -SEGV $$"]),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_real_cage_whose_client_never_shows_the_page_is_restarted(runtime, station):
    """cage stays up while its client lives, window or not: only the watcher notices."""
    _, url = station
    code, took = timed_watch(cage_command(runtime, ["sleep", "60"]), url, grace=2.0)
    assert code == 1 and 2.0 <= took < 20
    assert cages_in(runtime) == []


def cages_in(runtime: Path) -> list[int]:
    """The cage processes running in ``runtime`` (others may run beside the suite, or on its
    other workers)."""
    found = subprocess.run(["pgrep", "-x", "cage"], capture_output=True, text=True).stdout.split()
    ours = []
    for pid in map(int, found):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError):
            continue  # gone meanwhile
        if f"XDG_RUNTIME_DIR={runtime}".encode() in environ:
            ours.append(pid)
    return ours


def doctor_says(tmp_path, port: int) -> str:
    from click.testing import CliRunner

    from kiosk.cli.main import main
    from kiosk.testing.station import write_station_config
    path = write_station_config(tmp_path / "st", None, ui_port=port)
    return CliRunner().invoke(main, ["--config", str(path), "doctor"]).output


def test_doctor_says_when_the_touchscreen_is_not_showing_the_kiosk(station, tmp_path):
    _, url = station
    port = int(url.rsplit(":", 1)[1])
    output = doctor_says(tmp_path, port)
    assert ("FAIL 触摸屏 / touchscreen: 触摸屏没有显示签到页面 / the touchscreen is not showing "
            "the kiosk (no kiosk page connected for ") in output
    assert "journalctl -u kiosk-browser" in output
    page = open_page(url)
    try:
        assert "OK   触摸屏 / touchscreen: 正在显示签到页面 / showing the kiosk (1 page(s)" in \
            doctor_says(tmp_path, port)
    finally:
        page.close()


def test_doctor_says_when_the_station_is_not_running(tmp_path):
    output = doctor_says(tmp_path, free_port())
    assert "FAIL 触摸屏 / touchscreen: 签到站程序没有运行 / the station is not running" in output
    assert "systemctl status kiosk;" in output
