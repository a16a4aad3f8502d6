"""The printer port: one contract run against the memory fake and the real network ESC/POS
adapter talking to the capture printer (the rendering is tested in tests/unit/test_receipts.py)."""

import time

import pytest

from kiosk.adapters.printers import MemoryPrinter, NetworkEscposPrinter
from kiosk.ports import PrinterState, Receipt
from kiosk.sim.capture_printer import CapturePrinter

RECEIPT = Receipt("测试站", "2026-11-28", 7, "王*华", "2026-12-01", "AB12CD34")


def test_memory_printer_keeps_receipts_only_when_ready():
    printer = MemoryPrinter()
    assert printer.print_receipt(RECEIPT) == PrinterState.READY and printer.printed == [RECEIPT]
    printer.state = PrinterState.PAPER_OUT
    assert printer.print_receipt(RECEIPT) == PrinterState.PAPER_OUT and len(printer.printed) == 1


class Backend:
    """A printer behind the port, a way to put it in a state, and what came out of it."""

    def __init__(self, printer, set_state, printed):
        self.printer, self.set_state, self.printed = printer, set_state, printed


@pytest.fixture(params=["memory", "network"])
def backend(request):
    if request.param == "memory":
        memory = MemoryPrinter()
        yield Backend(memory, lambda state: setattr(memory, "state", state),
                      lambda: len(memory.printed))
        return
    capture = CapturePrinter()

    def printed() -> int:
        deadline = time.monotonic() + 3.0
        while not capture.jobs and time.monotonic() < deadline:
            time.sleep(0.02)
        return len(capture.jobs)

    yield Backend(NetworkEscposPrinter(capture.host, capture.port, timeout=1),
                  lambda state: setattr(capture, "state", state), printed)
    capture.close()


def test_a_ready_printer_takes_the_receipt(backend):
    assert backend.printer.status() == PrinterState.READY
    assert backend.printer.print_receipt(RECEIPT) == PrinterState.READY
    assert backend.printed() == 1


def test_a_printer_out_of_paper_says_so_and_takes_nothing(backend):
    backend.set_state(PrinterState.PAPER_OUT)
    assert backend.printer.status() == PrinterState.PAPER_OUT
    assert backend.printer.print_receipt(RECEIPT) == PrinterState.PAPER_OUT
    assert backend.printed() == 0
