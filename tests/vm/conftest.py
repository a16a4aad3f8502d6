"""The virtual station's fixtures: its disk image and one booted machine per session."""

from pathlib import Path

import pytest

from tests.parallel import WORKER_GROUPS


def pytest_configure(config) -> None:
    # pytest-xdist registers it too; without xdist the VM tests still run, in one process.
    config.addinivalue_line("markers", "xdist_group(name): tests pytest-xdist runs on one worker "
                            "(all VM tests: they share one booted station)")


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
    (boot, the screen, the browser, sync, taps, upgrades, the read-only root, then power cuts); powered off at the end."""
    import time

    from tests.vstation.image import data_disk, log, releases_disk
    from tests.vstation.machine import Machine
    from tests.vstation.station import wait_station_ready
    workdir = tmp_path_factory.mktemp("vstation")
    machine = Machine(station_image, workdir,
                      extra_disks=(releases_disk(workdir), data_disk(workdir)))
    started = time.monotonic()
    try:
        seconds = machine.start()
        wait_station_ready(machine, 0, timeout=600)  # first boot made the key, kiosk is up
        log(f"booted in {seconds:.0f} s ({machine.accel}), kiosk ready after "
            f"{time.monotonic() - started:.0f} s; files in {machine.dir}")
        yield machine
    finally:  # a boot that failed or timed out must not leave QEMU running
        machine.shutdown()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items) -> None:
    """Every VM test on one pytest-xdist worker (they share one booted machine, in file order):
    marked here, before xdist reads the marks, so that no new VM test can forget it.
    tests/parallel.py groups this folder by its path as well (the mark alone does not reach
    xdist's scheduler under pytest 9.2)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.xdist_group(WORKER_GROUPS["tests/vm/"]))
