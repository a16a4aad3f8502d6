"""One contract for the card-reader port, run against the fake and the real PC/SC adapter."""

import time

import pytest

from kiosk.ports import CardReadFailed, CardTapped, ReaderState, ReaderStatus
from kiosk.sim.fake_reader import FakeCardReader
from kiosk.sim.virtual_card import VirtualCard
from tests.waiting import wait_until


class FakeBackend:
    def __init__(self):
        self.reader = FakeCardReader()

    def tap(self, uid, vanish=False):
        self.reader.fail("removed") if vanish else self.reader.tap(uid)


class PcscBackend:
    def __init__(self, harness):
        from kiosk.adapters.pcsc_reader import PcscCardReader
        from kiosk.testing.station import TapDriver
        self.reader, self.driver = PcscCardReader(), TapDriver(harness)

    def tap(self, uid, vanish=False):
        self.driver.place(0, VirtualCard(uid, vanish_on_read=vanish))
        time.sleep(0.1)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and not self.driver.slots[0].uid_read.is_set() \
                and self.driver.slots[0].occupied:
            time.sleep(0.02)
        self.driver.remove(0)


@pytest.fixture(params=["fake", pytest.param("pcsc", marks=pytest.mark.pcsc)])
def backend(request):
    if request.param == "fake":
        backend = FakeBackend()
    else:
        backend = PcscBackend(request.getfixturevalue("pcscd_running"))
    backend.reader.start()
    yield backend
    backend.reader.stop()
    if hasattr(backend, "driver"):
        backend.driver.close()


def next_card_event(reader, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        event = reader.next_event(0.2)
        if event is not None and not isinstance(event, ReaderStatus):
            return event
    return None


def wait_ready(reader, timeout=5.0):
    return wait_until(lambda: reader.health().state == ReaderState.READY, timeout)


@pytest.mark.parametrize("uid", ["04A1B2C3", "04112233445566", "0411223344556677889A"])
def test_tap_gives_the_uid(backend, uid):
    assert wait_ready(backend.reader)
    backend.tap(bytes.fromhex(uid))
    event = next_card_event(backend.reader)
    assert isinstance(event, CardTapped) and event.uid == bytes.fromhex(uid)


def test_card_pulled_away_mid_read_is_a_failure_not_a_tap(backend):
    assert wait_ready(backend.reader)
    backend.tap(bytes.fromhex("04A1B2C3"), vanish=True)
    event = next_card_event(backend.reader)
    assert isinstance(event, CardReadFailed) and event.reason == "removed"
    assert next_card_event(backend.reader, timeout=1.0) is None


def test_health_reports_a_live_loop(backend):
    assert wait_ready(backend.reader)
    health = backend.reader.health()
    assert health.alive and health.heartbeat_age_s < 2.0 and health.readers
