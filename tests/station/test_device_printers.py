"""USB and serial printers: serial for real through a pseudo-terminal, USB's failure paths."""

import os
import threading
import time
import tty

import pytest

from kiosk.adapters.escpos_decode import decode
from kiosk.adapters.escpos_devices import ConnectorEscposPrinter, serial_printer, usb_printer
from kiosk.adapters.escpos_render import PrinterProfile
from kiosk.config.loader import parse_config
from kiosk.ports import PrinterState, Receipt
from kiosk.sim.capture_printer import REPLIES

RECEIPT = Receipt("测试站", "2026-11-28 09:05", 5, "王*华", None, "SERIAL01")


class PtyPrinter:
    """The far end of a pseudo-terminal behaving like a serial ESC/POS printer."""

    def __init__(self):
        self.master, slave = os.openpty()
        tty.setraw(slave)
        self.path = os.ttyname(slave)
        self.state, self.received, self.running = PrinterState.READY, bytearray(), True
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        pending = b""
        while self.running:
            try:
                pending += os.read(self.master, 4096)
            except OSError:
                return
            while pending:
                if pending[:2] == b"\x10\x04" and len(pending) >= 3:
                    replies = REPLIES.get(self.state)
                    if replies:
                        os.write(self.master, bytes([replies[pending[2]]]))
                    pending = pending[3:]
                elif pending[:1] == b"\x10" and len(pending) < 3:
                    break
                else:
                    self.received.append(pending[0])
                    pending = pending[1:]


@pytest.fixture
def pty_printer():
    printer = PtyPrinter()
    yield printer
    printer.running = False


def test_serial_printer_prints_through_a_real_tty(pty_printer):
    printer = serial_printer(pty_printer.path, 9600, PrinterProfile())
    assert printer.status() == PrinterState.READY
    assert printer.print_receipt(RECEIPT) == PrinterState.READY
    time.sleep(0.3)
    lines = decode(bytes(pty_printer.received)).text_lines
    assert "5" in lines and "签到码 Code: SERIAL01" in lines


def test_serial_paper_out_and_silence(pty_printer):
    printer = serial_printer(pty_printer.path, 9600, PrinterProfile())
    pty_printer.state = PrinterState.PAPER_OUT
    assert printer.print_receipt(RECEIPT) == PrinterState.PAPER_OUT
    pty_printer.state = PrinterState.NO_ANSWER
    assert printer.status() == PrinterState.NO_ANSWER  # silence is not "no paper"
    assert bytes(pty_printer.received) == b""


def test_missing_devices_are_offline_not_a_crash():
    assert serial_printer("/dev/no-such-tty", 9600, PrinterProfile()).status() == PrinterState.OFFLINE
    assert usb_printer(0x0416, 0x5011, PrinterProfile()).status() == PrinterState.OFFLINE


class TimeoutConnector:
    def _raw(self, data):
        pass

    def _read(self):
        raise type("USBTimeoutError", (OSError,), {})("Operation timed out")

    def close(self):
        raise OSError("device gone")


def test_usb_timeout_is_no_answer():
    assert ConnectorEscposPrinter(TimeoutConnector, "usb test").status() == PrinterState.NO_ANSWER


def test_usb_and_serial_config():
    base = {"station": {"id": "st-1"}}
    usb = parse_config({**base, "printer": {"kind": "usb", "vendor_id": 0x0416, "product_id": 0x5011}})
    assert usb.printer.usb_ids == (0x0416, 0x5011)
    from kiosk.errors import ConfigError
    with pytest.raises(ConfigError, match="lsusb"):
        parse_config({**base, "printer": {"kind": "usb"}})
    with pytest.raises(ConfigError, match="ttyUSB0"):
        parse_config({**base, "printer": {"kind": "serial"}})
