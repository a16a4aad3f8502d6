"""The systemd units (issue 6, first part): they verify, kiosk.service is hardened to an
exposure of at most 2.5, and the station tells systemd it is ready and alive."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config.loader import load_config
from kiosk.keys import generate_key_file
from kiosk.testing.station import StationProcess, write_station_config

UNITS = sorted((Path(__file__).resolve().parents[2] / "systemd").glob("*.service"))


def local_copy(unit: Path, directory: Path) -> Path:
    """The unit with its programs pointed at this machine's (the Pi's paths do not exist here)."""
    text = unit.read_text(encoding="utf-8")
    text = text.replace("/opt/kiosk/venv/bin/", str(Path(sys.executable).parent) + "/")
    text = text.replace("/opt/kiosk/app/setup.sh", str(unit.parent.parent / "setup.sh"))
    text = text.replace("/usr/bin/cage", "/usr/bin/true").replace("/usr/bin/chromium",
                                                                  "/usr/bin/true")
    copy = directory / unit.name
    copy.write_text(text, encoding="utf-8")
    return copy


def test_every_unit_is_there():
    # sync is a thread of kiosk.service, so the station's one writer keeps its acknowledgements
    assert {u.name for u in UNITS} == {"kiosk.service", "kiosk-browser.service",
                                        "kiosk-firstboot.service"}


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_unit_verifies(unit, tmp_path):
    result = subprocess.run(["systemd-analyze", "verify", str(local_copy(unit, tmp_path))],
                            capture_output=True, text=True, timeout=60)
    problems = [line for line in result.stderr.splitlines() if unit.name in line]
    assert result.returncode == 0 and not problems, result.stderr


@pytest.mark.parametrize("name,limit", [("kiosk.service", 2.5)])
def test_services_are_hardened(name, limit, tmp_path):
    unit = next(u for u in UNITS if u.name == name)
    result = subprocess.run(["systemd-analyze", "security", "--offline=true",
                             str(local_copy(unit, tmp_path))], capture_output=True, text=True,
                            timeout=60)
    found = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
    assert found, result.stdout + result.stderr
    assert float(found.group(1)) <= limit, result.stdout


def test_station_notifies_ready_and_pings_the_watchdog(tmp_path):
    path = write_station_config(tmp_path / "st", None)
    generate_key_file(load_config(path).station.key_file)
    address = str(tmp_path / "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(address)
    listener.settimeout(15)
    station = StationProcess(path, env={"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "1000000"})
    station.start()
    try:
        seen = set()
        while not {"READY=1", "WATCHDOG=1"} <= seen:
            seen.add(listener.recv(256).decode())
        station.stop()
        while "STOPPING=1" not in seen:
            seen.add(listener.recv(256).decode())
    finally:
        station.kill()
        listener.close()
