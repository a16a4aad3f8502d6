"""The durable receipt queue against the capture printer: paper-out never loses a receipt."""

import time

import pytest

from kiosk.adapters.escpos_decode import decode
from kiosk.adapters.printers import NetworkEscposPrinter
from kiosk.ports import PrinterState
from kiosk.sim.capture_printer import CapturePrinter
from kiosk.sim.wallet import read_card
from kiosk.station.spooler import PrintSpooler
from kiosk.store.database import connect_readonly as connect
from kiosk.testing.station import seed_residents
from tests.waiting import wait_until


@pytest.fixture
def capture():
    printer = CapturePrinter()
    yield printer
    printer.close()


def queue_numbers(jobs):
    numbers = []
    for job in jobs:
        lines = decode(job).text_lines
        numbers.append(int(lines[lines.index("排队号 Queue No.") + 1]))
    return numbers


def make_spooler(config, capture, clock=None):
    printer = NetworkEscposPrinter(capture.host, capture.port, timeout=1.0)
    spooler = PrintSpooler(config.station.database, printer, "测试站", "Asia/Shanghai", max_wait=0.3,
                           clock=clock)
    spooler.start()
    return spooler


def test_paper_out_during_20_checkins(core, config, station_dir, capture):
    uids = seed_residents(station_dir / "kiosk.toml", 20)
    capture.state = PrinterState.PAPER_OUT
    spooler = make_spooler(config, capture, core.clock)  # the reprint window is on the core's clock
    try:
        outcomes = [core.checkins.handle_tap(read_card(card)) for card in uids]
        for _ in outcomes:
            spooler.notify()
        assert [o.queue_no for o in outcomes] == list(range(1, 21))  # all 20 recorded
        assert wait_until(lambda: spooler.state == PrinterState.PAPER_OUT)
        assert capture.jobs == [] and spooler.backlog() == 20
        capture.state = PrinterState.READY  # paper back in
        assert wait_until(lambda: len(capture.jobs) >= 20 and spooler.backlog() == 0)
        time.sleep(0.5)
        assert sorted(queue_numbers(capture.jobs)) == list(range(1, 21))  # all, none twice
        assert spooler.reprint_last()
        assert wait_until(lambda: len(capture.jobs) == 21)
        assert queue_numbers(capture.jobs[-1:]) == [20]
    finally:
        spooler.stop()


def test_pending_receipts_survive_a_restart(core, config, station_dir, capture):
    uids = seed_residents(station_dir / "kiosk.toml", 3)
    capture.state = PrinterState.OFFLINE
    first = make_spooler(config, capture)
    for card in uids:
        core.checkins.handle_tap(read_card(card))
    assert wait_until(lambda: first.state == PrinterState.OFFLINE)
    first.stop()  # the station restarts (or the power goes) with three receipts owed
    capture.state = PrinterState.READY
    second = make_spooler(config, capture)
    try:
        assert wait_until(lambda: len(capture.jobs) == 3)
        assert sorted(queue_numbers(capture.jobs)) == [1, 2, 3]
    finally:
        second.stop()


def wang_checked_in_with_two_spoolers(core, config, clock):
    """Wang (in a prenatal plan) checks in; spoolers without and with service names allowed."""
    from kiosk.adapters.printers import MemoryPrinter
    from kiosk.demo.data import seed_demo
    from kiosk.domain.model import local_date
    wallet = seed_demo(core, local_date(clock.now(), "Asia/Shanghai"))
    outcome = core.checkins.handle_tap(read_card(wallet["wang"]))
    plain = PrintSpooler(config.station.database, MemoryPrinter(), "站", "Asia/Shanghai")
    allowed = PrintSpooler(config.station.database, MemoryPrinter(), "站", "Asia/Shanghai", True)
    for spooler in (plain, allowed):
        spooler.db = connect(config.station.database)
    return outcome, plain, allowed


def test_receipt_keeps_service_names_off_unless_allowed(core, config, clock):
    outcome, plain, allowed = wang_checked_in_with_two_spoolers(core, config, clock)
    receipt = plain.receipt_for(outcome.checkin_id)
    assert receipt.next_visit and receipt.lines == () and receipt.masked_name == "王*华"
    assert "孕中期" in allowed.receipt_for(outcome.checkin_id).lines[0]


def test_her_printed_record_keeps_service_names_off_unless_allowed(core, config, clock):
    outcome, plain, allowed = wang_checked_in_with_two_spoolers(core, config, clock)
    lines = plain.receipt_for(outcome.checkin_id, "record").lines
    assert lines[0].startswith("我的随访") and "随访 Follow-up visit" in lines[1]
    assert not any("孕" in line for line in lines)  # no sensitive service names on paper
    assert any(line.startswith("既往随访 Past visits") for line in lines)
    assert any("孕中期" in line for line in allowed.receipt_for(outcome.checkin_id, "record").lines)
