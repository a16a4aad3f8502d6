"""Shared fixtures: fake-clock cores for fast tests, and a private pcscd for PC/SC tests."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from kiosk.adapters.clock import FakeClock
from kiosk.adapters.pcscd_harness import PcscdHarness
from kiosk.bootstrap import build_core
from kiosk.config import load_config
from kiosk.keys import generate_key_file
from kiosk.testing import write_station_config


@pytest.fixture
def clock() -> FakeClock:
    # 09:00 in Shanghai on 2026-11-28
    return FakeClock(dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.timezone.utc))


@pytest.fixture
def station_dir(tmp_path: Path) -> Path:
    config_path = write_station_config(tmp_path / "station", None)
    generate_key_file(load_config(config_path).key_file)
    return tmp_path / "station"


@pytest.fixture
def config(station_dir: Path):
    return load_config(station_dir / "kiosk.toml")


@pytest.fixture
def core(config, clock):
    core = build_core(config, clock=clock)
    yield core
    core.db.conn.close()


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory) -> PcscdHarness:
    """One private pcscd + vpcd per test session (CI installs both; missing is a failure)."""
    harness = PcscdHarness(tmp_path_factory.mktemp("pcscd"))
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


@pytest.fixture(scope="session")
def postgres():
    """One private PostgreSQL server per test session (CI installs postgresql; missing fails)."""
    from kiosk.county.pg_harness import PostgresHarness
    harness = PostgresHarness()
    harness.start()
    yield harness
    harness.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def county_database(request):
    """Where a county under test keeps its data: None (SQLite in its data dir) or a fresh
    PostgreSQL database; every county test runs on both backends."""
    if request.param == "sqlite":
        yield None
        return
    import uuid
    yield request.getfixturevalue("postgres").new_database(f"county_{uuid.uuid4().hex[:12]}")


def pytest_addoption(parser) -> None:
    parser.addoption("--cuts", type=int, default=5,
                     help="power cuts of the virtual station in tests/test_vm_station_power.py "
                          "(5 in CI)")


@pytest.fixture(scope="session")
def station_image():
    """The virtual station's disk (tests/vstation): built once, cached on the machine."""
    from tests.vstation.image import log, station_image
    image = station_image()
    log("image ready: " + ", ".join(f"{k} {v:.0f} s" for k, v in image.build_seconds.items()))
    return image


@pytest.fixture(scope="session")
def virtual_station(station_image, tmp_path_factory):
    """One booted virtual station for the session's VM tests, which share it in file order
    (boot, taps, screen, sync, upgrade, then power cuts); powered off at the end."""
    import time
    from tests.vstation.image import data_disk, log, releases_disk
    from tests.vstation.machine import Machine
    from tests.vstation.station import wait_station_ready
    workdir = tmp_path_factory.mktemp("vstation")
    machine = Machine(station_image, workdir,
                      extra_disks=(releases_disk(workdir), data_disk(workdir)))
    started = time.monotonic()
    seconds = machine.start()
    wait_station_ready(machine, 0, timeout=600)  # first boot made the key, kiosk.service is up
    log(f"booted in {seconds:.0f} s ({machine.accel}), kiosk ready after "
        f"{time.monotonic() - started:.0f} s; files in {machine.dir}")
    yield machine
    machine.shutdown()
