"""What only the real PC/SC path can show: held cards, strange cards, pcscd and reader loss."""

import time

import pytest

from kiosk.adapters.pcsc_reader import PcscCardReader
from kiosk.ports import CardReadFailed, CardTapped, ReaderState
from kiosk.sim.virtual_card import VirtualCard
from kiosk.testing.station import TapDriver
from tests.pcsc.test_reader_contract import next_card_event, wait_ready
from tests.waiting import wait_until

pytestmark = pytest.mark.pcsc


@pytest.fixture
def rig(pcscd_running):
    reader, driver = PcscCardReader(), TapDriver(pcscd_running)
    reader.start()
    assert wait_ready(reader)
    yield reader, driver, pcscd_running
    reader.stop()
    driver.close()


def drain(reader):
    while reader.next_event(0.05) is not None:
        pass


def wait_state(reader, state, timeout=10.0):
    return wait_until(lambda: reader.health().state == state, timeout)


def test_card_left_on_the_reader_is_one_tap(rig):
    reader, driver, _ = rig
    driver.place(0, VirtualCard(bytes.fromhex("04A1B2C3")))
    assert isinstance(next_card_event(reader), CardTapped)
    assert next_card_event(reader, timeout=2.5) is None  # five pcscd polls later: still one tap
    driver.remove(0)
    assert next_card_event(reader, timeout=1.0) is None


def test_taps_on_both_slots(rig):
    reader, driver, _ = rig
    driver.place(0, VirtualCard(bytes.fromhex("04A1B2C3")))
    driver.place(1, VirtualCard(bytes.fromhex("0A0B0C0D")))
    uids = {next_card_event(reader).uid, next_card_event(reader).uid}
    assert uids == {bytes.fromhex("04A1B2C3"), bytes.fromhex("0A0B0C0D")}
    driver.remove(0)
    driver.remove(1)


def test_strange_card_is_unsupported(rig):
    reader, driver, _ = rig
    driver.place(0, VirtualCard(bytes.fromhex("04A1B2C3"), answers_uid=False))
    event = next_card_event(reader)
    assert isinstance(event, CardReadFailed) and event.reason == "unsupported"
    assert "6D00" in event.detail
    driver.remove(0)


def test_odd_uid_length_is_unsupported(rig):
    reader, driver, _ = rig
    driver.place(0, VirtualCard(bytes.fromhex("0102030405")))
    event = next_card_event(reader)
    assert isinstance(event, CardReadFailed) and "5 bytes" in event.detail
    driver.remove(0)


def test_card_already_on_reader_at_start_counts_once(pcscd_running):
    driver = TapDriver(pcscd_running)
    driver.place(0, VirtualCard(bytes.fromhex("04A1B2C3")))
    assert driver.wait_state(0, present=True)
    reader = PcscCardReader()
    reader.start()
    try:
        assert isinstance(next_card_event(reader), CardTapped)
        assert next_card_event(reader, timeout=1.5) is None
    finally:
        reader.stop()
        driver.close()


def test_survives_pcscd_crash_and_restart(rig):
    reader, driver, harness = rig
    harness.kill()
    assert wait_state(reader, ReaderState.SERVICE_UNAVAILABLE)
    time.sleep(1.0)
    assert reader.health().alive
    harness.start()
    assert wait_state(reader, ReaderState.READY, timeout=15)
    driver.close()
    driver = TapDriver(harness)  # the test's own context died with pcscd too
    drain(reader)
    driver.place(0, VirtualCard(bytes.fromhex("04112233445566")))
    event = next_card_event(reader)
    assert isinstance(event, CardTapped) and event.uid == bytes.fromhex("04112233445566")
    driver.remove(0)
    driver.close()


def test_reader_unplugged_and_plugged_back(rig):
    reader, driver, harness = rig
    driver.close()
    harness.unplug()
    assert wait_state(reader, ReaderState.NO_READER, timeout=15)
    assert reader.health().readers == ()
    harness.plug()
    assert wait_state(reader, ReaderState.READY, timeout=15)
    driver = TapDriver(harness)
    drain(reader)
    driver.place(0, VirtualCard(bytes.fromhex("04A1B2C3")))
    assert isinstance(next_card_event(reader), CardTapped)
    driver.remove(0)
    driver.close()


def test_supervisor_restarts_a_dead_loop(rig):
    reader, _, _ = rig
    reader._stop.set()
    reader._thread.join(5)
    reader._stop.clear()
    assert not reader.health().alive
    assert reader.ensure_running() and wait_ready(reader)
