"""The printer port's memory fake (the real printer adapter is tested against the capture
printer in tests/unit/test_receipts.py)."""

from kiosk.adapters.printers import MemoryPrinter
from kiosk.ports import PrinterState, Receipt

RECEIPT = Receipt("测试站", "2026-11-28", 7, "王*华", "2026-12-01", "AB12CD34")


def test_memory_printer_keeps_receipts_only_when_ready():
    printer = MemoryPrinter()
    assert printer.print_receipt(RECEIPT) == PrinterState.READY and printer.printed == [RECEIPT]
    printer.state = PrinterState.PAPER_OUT
    assert printer.print_receipt(RECEIPT) == PrinterState.PAPER_OUT and len(printer.printed) == 1
