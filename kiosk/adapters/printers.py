"""Receipt printers: ESC/POS over TCP (port 9100 style) or a device file, a fake, and "none".

Before printing, the real-time status (DLE EOT 1, 2 and 4) is read with a
timeout, and "no answer" is told apart from "no paper" (python-escpos reads an
unknown or missing reply as no paper).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable

from kiosk.adapters.escpos_render import PrinterProfile, render_receipt
from kiosk.adapters.receipt_layout import receipt_lines
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


def status_from_replies(printer: int, cause: int, paper: int) -> PrinterState:
    """Decode DLE EOT 1 (printer), 2 (offline cause) and 4 (paper roll sensor) replies."""
    if paper & 0x60 or cause & 0x20:
        return PrinterState.PAPER_OUT
    if cause & 0x04:
        return PrinterState.COVER_OPEN
    if printer & 0x08:
        return PrinterState.OFFLINE
    return PrinterState.READY


def query_status(send: Callable[[bytes], object], read: Callable[[], bytes]) -> PrinterState:
    """Ask DLE EOT 1, 2 and 4 over any transport; an empty reply is NO_ANSWER, not "no paper"."""
    replies = []
    for n in (1, 2, 4):
        send(bytes([0x10, 0x04, n]))
        reply = read()
        if not reply:
            return PrinterState.NO_ANSWER
        replies.append(reply[0])
    return status_from_replies(*replies)


class NetworkEscposPrinter:
    def __init__(self, host: str, port: int = 9100, timeout: float = 3.0,
                 profile: PrinterProfile | None = None) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.profile = profile or PrinterProfile()

    def _query(self, sock: socket.socket) -> PrinterState:
        return query_status(sock.sendall, lambda: sock.recv(1))

    def status(self) -> PrinterState:
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as sock:
                return self._query(sock)
        except TimeoutError:
            return PrinterState.NO_ANSWER
        except OSError as exc:
            log.warning("printer %s:%s unreachable: %s", self.host, self.port, exc)
            return PrinterState.OFFLINE

    def print_receipt(self, receipt: Receipt) -> PrinterState:
        data = render_receipt(receipt_lines(receipt), self.profile)
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as sock:
                state = self._query(sock)
                if state == PrinterState.READY:
                    sock.sendall(data)
                return state
        except TimeoutError:
            return PrinterState.NO_ANSWER
        except OSError as exc:
            log.warning("printer %s:%s failed: %s", self.host, self.port, exc)
            return PrinterState.OFFLINE


class FileEscposPrinter:
    """A printer device file such as /dev/usb/lp0 (the usblp driver); no status channel."""

    def __init__(self, path: str, profile: PrinterProfile | None = None) -> None:
        self.path, self.profile = path, profile or PrinterProfile()

    def status(self) -> PrinterState:
        return PrinterState.READY if os.access(self.path, os.W_OK) else PrinterState.OFFLINE

    def print_receipt(self, receipt: Receipt) -> PrinterState:
        try:
            with open(self.path, "wb", buffering=0) as device:
                device.write(render_receipt(receipt_lines(receipt), self.profile))
        except OSError as exc:
            log.warning("printer %s failed: %s", self.path, exc)
            return PrinterState.OFFLINE
        return PrinterState.READY
