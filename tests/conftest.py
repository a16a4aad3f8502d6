"""Fixtures every folder shares: fake-clock cores for fast tests, and a private pcscd for the
PC/SC, station, web and browser tests. Folder-only fixtures are in each folder's conftest.

The suite runs on pytest-xdist workers (`./setup.sh test` passes `-n auto`); each worker is its
own process with its own session fixtures (pcscd, PostgreSQL), temporary directories and ports,
and stops what it started. tests/parallel.py keeps tests/vm on one worker and repeats the
``figure:`` lines tests print in a summary."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

from kiosk.adapters.clock import FakeClock
from kiosk.bootstrap import build_core
from kiosk.config.loader import load_config
from kiosk.keys import generate_key_file
from kiosk.sim.pcscd import PcscdHarness
from kiosk.testing.station import write_station_config

pytest_plugins = ("tests.parallel",)

# Under PYTHONDONTWRITEBYTECODE (set on the developers' machines) every Python process the tests
# start (`kiosk serve`, `kiosk-county serve`, the lazyfs mount, CLI runs: hundreds in a run)
# compiled the kiosk's modules again, a fifth of a station's start-up CPU. They share one bytecode
# cache outside the source tree instead (as tests/power/station_rig.py's did); set here, at
# start, so the xdist workers and everything they start inherit it.
if os.environ.pop("PYTHONDONTWRITEBYTECODE", None):
    os.environ.setdefault("PYTHONPYCACHEPREFIX",
                          str(Path(tempfile.gettempdir()) / f"kiosk-test-pycache-{os.getuid()}"))

# Property tests check rules, not speed (speed lives in bench/): no per-example deadline, which a
# loaded 2-core CI machine would otherwise turn into failures that say nothing about the code.
settings.register_profile("kiosk", deadline=None)
settings.load_profile("kiosk")


@pytest.fixture
def clock() -> FakeClock:
    # 09:00 in Shanghai on 2026-11-28
    return FakeClock(dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.UTC))


@pytest.fixture
def station_dir(tmp_path: Path) -> Path:
    config_path = write_station_config(tmp_path / "station", None)
    generate_key_file(load_config(config_path).station.key_file)
    return tmp_path / "station"


@pytest.fixture
def config(station_dir: Path):
    return load_config(station_dir / "kiosk.toml")


@pytest.fixture
def core(config, clock):
    core = build_core(config, clock=clock)
    yield core
    core.close()


# pcscd's card-presence poll in the tests: 20 ms instead of its 400 ms (kiosk/sim/pcscd_poll.c).
# A tap waited for two polls, placing and removing: 0.8 s a tap, 0.1 s with this.
# KIOSK_TEST_PCSCD_POLL_MS=400 runs the tests on pcscd's own poll.
PCSCD_POLL_MS = int(os.environ.get("KIOSK_TEST_PCSCD_POLL_MS", "20"))


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory) -> PcscdHarness:
    """One private pcscd + vpcd per test session (CI installs both; missing is a failure)."""
    harness = PcscdHarness(tmp_path_factory.mktemp("pcscd"), poll_ms=PCSCD_POLL_MS)
    harness.start()
    # libpcsclite reads the socket name once per process: set it before any PC/SC call.
    os.environ.update(harness.env())
    yield harness
    harness.stop()


@pytest.fixture
def pcscd_running(pcscd: PcscdHarness) -> PcscdHarness:
    """The session pcscd, brought back if a test stopped or unplugged it."""
    if pcscd.proc is None or pcscd.proc.poll() is not None or not pcscd.with_reader:
        pcscd.with_reader = True
        pcscd.start()
    return pcscd


@pytest.fixture
def kiosk(core):
    """The station loop, a fake reader and the web app on the test core (tests/web/staff_kiosk.py)."""
    from tests.web.staff_kiosk import Kiosk
    return Kiosk(core)


@pytest.fixture
def tech_card(core):
    """A technician (PIN tests.web.staff_kiosk.PIN) and their virtual technician card."""
    from kiosk.sim.wallet import issue_virtual_card
    from tests.web.staff_kiosk import PIN
    tech = core.staff.add("赵技术员", PIN)
    return issue_virtual_card(core, "technician", tech.id, bytes.fromhex("08AABBCC"), "cpu")


def pytest_addoption(parser) -> None:
    parser.addoption("--cuts", type=int, default=5,
                     help="power cuts of the virtual station in tests/vm/test_vm_station_power.py "
                          "(5 in CI)")
    parser.addoption("--power-cuts", type=int, default=200,
                     help="power cuts in tests/power/test_station_power_cuts.py (200 in the suite; "
                          "20 for a quick run)")
