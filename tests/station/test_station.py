"""The station loop with the in-package fakes: signals, receipts and reader trouble."""

import threading
import time

import pytest

from kiosk.adapters.printers import MemoryPrinter
from kiosk.adapters.signals import RecordingSignals
from kiosk.demo.data import seed_demo
from kiosk.domain.model import local_date
from kiosk.domain.outcomes import CheckedIn, ReadFailed, UnknownCard
from kiosk.ports import PrinterState, ReaderState, Signal
from kiosk.sim.fake_reader import FakeCardReader
from kiosk.station.console import report_json, report_text
from kiosk.station.loop import Station
from kiosk.station.spooler import PrintSpooler
from tests.waiting import wait_until

WANG = bytes.fromhex("04A1B2C3")


@pytest.fixture
def station(core, clock, config):
    wallet = seed_demo(core, local_date(clock.now(), "Asia/Shanghai"))
    reader, printer, signals = FakeCardReader(), MemoryPrinter(), RecordingSignals()
    reader.wallet = wallet
    spooler = PrintSpooler(config.station.database, printer, "测试站", "Asia/Shanghai", max_wait=0.2)
    spooler.start()
    yield Station(core.checkins, reader, spooler, signals), reader, printer, signals
    spooler.stop()


def test_tap_checks_in_beeps_and_prints(station):
    st, reader, printer, signals = station
    reader.tap_card(reader.wallet["wang"])
    report = st.handle(reader.next_event(1))
    assert isinstance(report.outcome, CheckedIn) and report.outcome.queue_no == 1
    assert signals.shown == [Signal.SUCCESS]
    assert wait_until(lambda: printer.printed)
    assert printer.printed[0].queue_no == 1 and printer.printed[0].masked_name == "王*华"
    assert "王秀华" not in report_json(report)  # no names in machine logs
    assert "排队号 / Queue number 1" in report_text(report)


def test_repeat_tap_does_not_print_again(station):
    st, reader, printer, _ = station
    reader.tap_card(reader.wallet["wang"])
    reader.tap_card(reader.wallet["wang"])
    st.handle(reader.next_event(1))
    assert st.handle(reader.next_event(1)).outcome.repeat
    assert wait_until(lambda: printer.printed)
    time.sleep(0.3)
    assert len(printer.printed) == 1


def test_paper_out_never_blocks_the_checkin(station, core):
    st, reader, printer, signals = station
    printer.state = PrinterState.PAPER_OUT
    reader.tap_card(reader.wallet["wang"])
    report = st.handle(reader.next_event(1))
    assert isinstance(report.outcome, CheckedIn) and printer.printed == []
    assert core.db.execute("SELECT COUNT(*) FROM checkins").fetchone()[0] == 1
    printer.state = PrinterState.READY  # paper back in: the queued receipt comes out
    assert wait_until(lambda: printer.printed) and printer.printed[0].queue_no == 1


def test_unknown_card_double_beep(station):
    st, reader, _, signals = station
    reader.tap(bytes.fromhex("DEADBEEF"))
    assert isinstance(st.handle(reader.next_event(1)).outcome, UnknownCard)
    assert signals.shown == [Signal.UNKNOWN_CARD]


def test_card_pulled_away_asks_to_tap_again(station):
    st, reader, _, signals = station
    reader.fail("removed", "read UID: card removed")
    report = st.handle(reader.next_event(1))
    assert isinstance(report.outcome, ReadFailed) and signals.shown == [Signal.ERROR]
    assert "请再刷一次" in report_text(report)


def test_reader_down_is_signalled(station):
    st, reader, _, signals = station
    reader.set_state(ReaderState.SERVICE_UNAVAILABLE)
    assert st.handle(reader.next_event(1)) is None and signals.shown == [Signal.READER_DOWN]


def test_run_loop_processes_until_stopped(station):
    st, reader, _, _ = station
    reports = []
    st.on_report = reports.append
    stop = threading.Event()
    thread = threading.Thread(target=st.run, args=(stop,))
    thread.start()
    reader.tap_card(reader.wallet["wang"])
    for _ in range(50):
        if reports:
            break
        stop.wait(0.05)
    stop.set()
    thread.join(5)
    assert reports and reports[0].outcome.queue_no == 1 and not reader.running


def test_reader_status_is_reported_in_both_languages(station):
    from kiosk.station.console import status_line
    st, reader, _, _ = station
    seen = []
    st.on_status = seen.append
    reader.set_state(ReaderState.SERVICE_UNAVAILABLE, "pcscd not reachable")
    st.handle(reader.next_event(1))
    assert status_line(seen[0], as_json=False) == "读卡服务不可用，正在重试 / Reader service unavailable, retrying"
    assert '"state": "service_unavailable"' in status_line(seen[0], as_json=True)
