"""The tests' pcscd polls its virtual reader every 20 ms, not every 400 ms (kiosk/sim/pcscd_poll.c):
a tap no longer waits for two slow polls. Checked here so that a shim that stops building or
loading shows up as a failure, not as a suite that is quietly slower."""

from pathlib import Path

import pytest

from tests.conftest import PCSCD_POLL_MS

pytestmark = pytest.mark.pcsc


def pcscd_pid(harness) -> int:
    """pcscd itself: the harness's process, or (isolated) the relay's child."""
    assert harness.proc is not None
    if not harness.isolated:
        return harness.proc.pid
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == harness.proc.pid:
            return int(stat.parent.name)
    raise AssertionError("no pcscd under the relay")


def test_the_test_pcscd_has_the_short_poll(pcscd_running):
    assert PCSCD_POLL_MS < 400
    maps = Path(f"/proc/{pcscd_pid(pcscd_running)}/maps").read_text()
    assert "pcscd_poll.so" in maps
    environ = Path(f"/proc/{pcscd_pid(pcscd_running)}/environ").read_bytes().split(b"\0")
    assert f"KIOSK_PCSCD_POLL_US={PCSCD_POLL_MS * 1000}".encode() in environ


def test_a_placed_card_is_seen_within_a_few_polls(pcscd_running):
    """Seen in far less than pcscd's own 400 ms (the median of five, against a loaded machine)."""
    import time

    from kiosk.sim.virtual_card import VirtualCard
    from kiosk.testing.station import TapDriver
    driver = TapDriver(pcscd_running)
    seen = []
    try:
        for n in range(5):
            started = time.monotonic()
            driver.place(0, VirtualCard(bytes([4, n, 2, 3])))
            assert driver.wait_state(0, present=True)
            seen.append(time.monotonic() - started)
            driver.remove(0)
    finally:
        driver.close()
    assert sorted(seen)[2] < 0.3, seen
