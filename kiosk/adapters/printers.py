"""Receipt printers: a network ESC/POS adapter (python-escpos), a recording fake and "none".

Issue 3 grows the ESC/POS side (Chinese mode, raster fallback, durable queue);
this is the port and its simplest honest implementations.
"""

from __future__ import annotations

import logging
import socket

from kiosk.ports import PrinterState, Receipt

log = logging.getLogger(__name__)


class NoPrinter:
    """The station has no printer configured."""

    def status(self) -> PrinterState:
        return PrinterState.DISABLED

    def print_receipt(self, receipt: Receipt) -> PrinterState:
        return PrinterState.DISABLED


class MemoryPrinter:
    """Fake printer: keeps receipts in a list; tests can set its state."""

    def __init__(self, state: PrinterState = PrinterState.READY) -> None:
        self.state = state
        self.printed: list[Receipt] = []

    def status(self) -> PrinterState:
        return self.state

    def print_receipt(self, receipt: Receipt) -> PrinterState:
        if self.state == PrinterState.READY:
            self.printed.append(receipt)
        return self.state


def _status_from_dle_eot(printer_byte: int, paper_byte: int) -> PrinterState:
    """Decode DLE EOT 1 (printer) and DLE EOT 4 (paper sensor) replies."""
    if printer_byte & 0x08:
        return PrinterState.OFFLINE
    if paper_byte & 0x60:
        return PrinterState.PAPER_OUT
    return PrinterState.READY


class NetworkEscposPrinter:
    """An ESC/POS printer on TCP (port 9100 style), with timeouts on every exchange."""

    def __init__(self, host: str, port: int = 9100, timeout: float = 3.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout

    def status(self) -> PrinterState:
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as sock:
                sock.settimeout(self.timeout)
                replies = []
                for query in (b"\x10\x04\x01", b"\x10\x04\x04"):
                    sock.sendall(query)
                    reply = sock.recv(1)
                    if not reply:
                        return PrinterState.NO_ANSWER
                    replies.append(reply[0])
                return _status_from_dle_eot(*replies)
        except socket.timeout:
            return PrinterState.NO_ANSWER
        except OSError as exc:
            log.warning("printer %s:%s unreachable: %s", self.host, self.port, exc)
            return PrinterState.OFFLINE

    def print_receipt(self, receipt: Receipt) -> PrinterState:
        state = self.status()
        if state != PrinterState.READY:
            return state
        from escpos.printer import Dummy  # only this adapter needs python-escpos
        job = Dummy()
        job.set(align="center")
        job.text(f"{receipt.station_name}\n{receipt.printed_at}\n")
        job.set(align="center", double_height=True, double_width=True)
        job.text(f"{receipt.queue_no}\n")
        job.set(align="left")
        for line in (receipt.masked_name, receipt.next_visit or "", receipt.checkin_code,
                     *receipt.lines):
            if line:
                job.text(line + "\n")
        job.cut()
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as sock:
                sock.sendall(job.output)
        except OSError as exc:
            log.warning("printer %s:%s failed mid-job: %s", self.host, self.port, exc)
            return PrinterState.OFFLINE
        return PrinterState.READY
