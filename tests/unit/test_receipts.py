"""Receipts: rendered to ESC/POS, sent to the capture printer, decoded back."""

import time

import pytest

from kiosk.adapters.escpos_decode import decode
from kiosk.adapters.escpos_render import PrinterProfile, render_line_image, render_receipt
from kiosk.adapters.printers import NetworkEscposPrinter
from kiosk.adapters.receipt_layout import Line, receipt_lines
from kiosk.ports import PrinterState, Receipt
from kiosk.sim.capture_printer import CapturePrinter
from tests.waiting import wait_until

RECEIPT = Receipt("兴隆镇卫生服务站", "2026-11-28 09:05", 17, "张*祥", "2026-12-01", "AB12CD34")


def test_gb18030_text_in_chinese_mode():
    data = render_receipt(receipt_lines(RECEIPT), PrinterProfile(charset="gb18030"))
    assert b"\x1c&" + "兴隆镇卫生服务站".encode("gb18030") in data  # FS & selects Chinese mode
    printed = decode(data)
    assert "兴隆镇卫生服务站" in printed.text_lines and "17" in printed.text_lines
    assert "姓名 Name: 张*祥" in printed.text_lines and printed.cuts == 1
    assert printed.images == []


def test_printer_without_chinese_font_gets_raster_lines():
    printed = decode(render_receipt(receipt_lines(RECEIPT), PrinterProfile(charset="ascii")))
    assert printed.text_lines == ["2026-11-28 09:05", "17"]  # the ASCII lines stay text
    assert len(printed.images) == 5  # every line with Chinese characters


@pytest.mark.parametrize("name", ["张𠮷祥", "䶮", "王㛃"])
def test_name_outside_gb2312_prints_exactly(name):
    line = Line(f"姓名 Name: {name}")
    gb2312 = decode(render_receipt([line], PrinterProfile(charset="gb2312")))
    assert gb2312.text_lines == [] and len(gb2312.images) == 1  # raster: the font has it
    expected = render_line_image(line, PrinterProfile())
    got = gb2312.images[0]
    assert (got.size, got.tobytes()) == (expected.size, expected.tobytes())  # pixel-exact
    gb18030 = decode(render_receipt([line], PrinterProfile(charset="gb18030")))
    assert gb18030.text_lines == [line.text]  # text: the printer's font has it


@pytest.fixture
def capture():
    printer = CapturePrinter()
    yield printer
    printer.close()


def wait_jobs(printer, n, timeout=3.0):
    wait_until(lambda: len(printer.jobs) >= n, timeout, every=0.02)
    return printer.jobs


def test_capture_printer_receives_the_receipt(capture):
    adapter = NetworkEscposPrinter(capture.host, capture.port, timeout=1)
    assert adapter.print_receipt(RECEIPT) == PrinterState.READY
    assert "17" in decode(wait_jobs(capture, 1)[0]).text_lines


@pytest.mark.parametrize("state", [PrinterState.PAPER_OUT, PrinterState.COVER_OPEN,
                                   PrinterState.OFFLINE, PrinterState.NO_ANSWER])
def test_printer_trouble_is_told_apart_and_nothing_is_sent(capture, state):
    capture.state = state
    adapter = NetworkEscposPrinter(capture.host, capture.port, timeout=0.5)
    assert adapter.status() == state
    assert adapter.print_receipt(RECEIPT) == state
    time.sleep(0.2)
    assert capture.jobs == [] and capture.discarded == []


def test_decoder_keeps_the_big_queue_number_big():
    printed = decode(render_receipt(receipt_lines(RECEIPT), PrinterProfile()))
    sizes = dict(zip(printed.text_lines, printed.sizes, strict=False))
    assert sizes["17"] == 4 and sizes["姓名 Name: 张*祥"] == 1


def test_an_offline_visitors_receipt_shows_her_card_number_not_a_name():
    """A resident of another station checked in while the county was out of reach (issue 24):
    the receipt names her card, since the station holds no name of hers."""
    receipt = Receipt("测试站", "2026-12-01 09:00", 7, "*", None, "ABCD1234", card_no="K7QW2M9XPL")
    texts = [line.text for line in receipt_lines(receipt)]
    assert "卡号 Card: K7QW2M9XPL" in texts and not any(t.startswith("姓名") for t in texts)
