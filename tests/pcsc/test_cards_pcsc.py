"""Card records through the real pcscd: issuance and verification on CPU and MIFARE cards,
copies and forgeries refused, and `kiosk technician add` on a fresh station."""

from __future__ import annotations

import threading

import pytest
from click.testing import CliRunner

from kiosk.adapters.pcsc_reader import PcscCardReader
from kiosk.bootstrap import build_core
from kiosk.cli.main import main
from kiosk.config.cards import CardKeys
from kiosk.config.loader import load_config
from kiosk.domain.card_records import frame
from kiosk.domain.model import ReadCard, Resident
from kiosk.domain.outcomes import CardRefused, CheckedIn, TechnicianCard
from kiosk.keys import generate_key_file
from kiosk.ports import CardTapped
from kiosk.sim.virtual_card import VirtualCard
from kiosk.testing.station import TapDriver, write_station_config
from tests.pcsc.test_pcsc_reader import drain
from tests.pcsc.test_reader_contract import next_card_event, wait_ready

pytestmark = pytest.mark.pcsc
KEYS = CardKeys(bytes.fromhex("A0A1A2A3A4A5"), bytes.fromhex("B0B1B2B3B4B5"))


@pytest.fixture
def rig(pcscd_running, tmp_path, clock):
    config_path = write_station_config(
        tmp_path / "st", pcscd_running,
        extra='\n[cards]\nmifare_key_a = "A0A1A2A3A4A5"\nmifare_key_b = "B0B1B2B3B4B5"\n')
    config = load_config(config_path)
    generate_key_file(config.station.key_file)
    core = build_core(config, clock=clock)
    with core.uow() as uow:
        uow.residents.add(Resident("r1", "王秀华", consent_version="health-data-consent-v1"))
        uow.record("resident.registered", {"resident_id": "r1"})
        uow.commit()
    reader, driver = PcscCardReader(keys=KEYS), TapDriver(pcscd_running)
    reader.start()
    assert wait_ready(reader)
    drain(reader)
    yield core, reader, driver, config_path
    reader.stop()
    driver.close()
    core.close()


def tap(reader, driver, card) -> CardTapped:
    driver.place(0, card)
    event = next_card_event(reader)
    assert isinstance(event, CardTapped), event
    return event


@pytest.mark.parametrize("kind", ["cpu", "mifare"])
def test_issue_and_verify_through_pcscd(rig, kind):
    core, reader, driver, _ = rig
    card = VirtualCard(bytes.fromhex("04A1B2C3"), kind, key_a=KEYS.mifare_key_a,
                       key_b=KEYS.mifare_key_b)
    blank = tap(reader, driver, card)
    assert (blank.kind, blank.record) == (kind, None)
    record, data = core.desk.prepare("resident", "r1", ReadCard(blank.uid, blank.kind, None))
    assert reader.write_record(blank.reader, blank.uid, blank.kind, frame(data)) == data
    core.desk.issued(record, "r1", kind, "test")
    driver.remove(0)
    issued = tap(reader, driver, card)
    assert issued.record == data
    outcome = core.checkins.handle_tap(ReadCard(issued.uid, issued.kind, issued.record))
    assert isinstance(outcome, CheckedIn) and outcome.resident_id == "r1"
    driver.remove(0)
    copy = tap(reader, driver, card.copy_to(bytes.fromhex("04112233445566")))
    refused = core.checkins.handle_tap(ReadCard(copy.uid, copy.kind, copy.record))
    assert isinstance(refused, CardRefused) and refused.reason == "copied"
    driver.remove(0)


def test_mifare_card_keyed_for_another_system_is_uid_only(rig):
    _, reader, driver, _ = rig
    foreign = VirtualCard(bytes.fromhex("04A1B2C3"), "mifare", key_a=b"\x11" * 6)
    event = tap(reader, driver, foreign)
    assert (event.kind, event.record) == ("mifare", None)
    driver.remove(0)


def test_write_refuses_a_swapped_card(rig):
    core, reader, driver, _ = rig
    first = tap(reader, driver, VirtualCard(bytes.fromhex("04A1B2C3"), "cpu"))
    driver.remove(0)
    driver.place(0, VirtualCard(bytes.fromhex("0A0B0C0D"), "cpu"))
    next_card_event(reader)
    from kiosk.errors import CardIOError
    with pytest.raises(CardIOError):
        reader.write_record(first.reader, first.uid, "cpu", frame(b"KC" + b"\x00" * 80))
    driver.remove(0)


def test_first_technician_from_the_console(pcscd_running, tmp_path):
    config_path = write_station_config(tmp_path / "new", pcscd_running)
    generate_key_file(load_config(config_path).station.key_file)
    card = VirtualCard(bytes.fromhex("08AABBCC"), "cpu")
    driver = TapDriver(pcscd_running)
    placer = threading.Timer(1.5, driver.place, args=(0, card))
    placer.start()
    try:
        result = CliRunner().invoke(main, ["--config", str(config_path), "technician", "add",
                                           "--name", "赵医生", "--timeout", "20"],
                                    input="246813\n246813\n")
    finally:
        placer.join()
        driver.close()
    assert result.exit_code == 0, result.output
    assert "技术员已添加 / Technician added: 赵医生" in result.output
    core = build_core(load_config(config_path))
    try:
        from kiosk.sim.wallet import read_card
        outcome = core.checkins.handle_tap(read_card(card))
        assert isinstance(outcome, TechnicianCard) and outcome.name == "赵医生"
        assert core.staff.check_pin(outcome.technician_id, "246813").ok
    finally:
        core.close()


def test_technician_add_rejects_a_short_pin(tmp_path):
    config_path = write_station_config(tmp_path / "new", None)
    result = CliRunner().invoke(main, ["--config", str(config_path), "technician", "add",
                                       "--name", "赵医生"], input="12\n12\n")
    assert result.exit_code == 2 and "PIN 为 6 到 8 位数字" in result.output
