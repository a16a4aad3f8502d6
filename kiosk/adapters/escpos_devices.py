"""USB and serial ESC/POS printers through python-escpos' connectors, with timeouts.

python-escpos' USB printer waits forever by default and reads a missing status
reply as "no paper"; here every exchange has a timeout, silence is NO_ANSWER,
and the connection is closed after each job (a printer may be unplugged).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kiosk.adapters.escpos_render import PrinterProfile, render_receipt
from kiosk.adapters.printers import query_status
from kiosk.adapters.receipt_layout import receipt_lines
from kiosk.ports import PrinterState, Receipt

log = logging.getLogger(__name__)


class ConnectorEscposPrinter:
    def __init__(self, open_connector: Callable[[], Any], name: str,
                 profile: PrinterProfile | None = None):
        self.open_connector, self.name = open_connector, name
        self.profile = profile or PrinterProfile()

    def status(self) -> PrinterState:
        return self._exchange(None)

    def print_receipt(self, receipt: Receipt) -> PrinterState:
        return self._exchange(render_receipt(receipt_lines(receipt), self.profile))

    def _exchange(self, job: bytes | None) -> PrinterState:
        try:
            device = self.open_connector()
        except Exception as exc:  # escpos raises its own DeviceNotFoundError, pyusb USBError, ...
            log.warning("printer %s unavailable: %s", self.name, exc)
            return PrinterState.OFFLINE
        try:
            state = query_status(device._raw, device._read)
            if state == PrinterState.READY and job is not None:
                device._raw(job)
            return state
        except Exception as exc:  # USBTimeoutError, SerialException, OSError
            timeout = "timeout" in type(exc).__name__.lower() or "timed out" in str(exc).lower()
            log.warning("printer %s: %s", self.name, exc)
            return PrinterState.NO_ANSWER if timeout else PrinterState.OFFLINE
        finally:
            try:
                device.close()
            except Exception:  # closing a vanished device must not mask the state
                pass


def usb_printer(vendor_id: int, product_id: int, profile: PrinterProfile) -> ConnectorEscposPrinter:
    def connect():
        from escpos.printer import Usb
        printer = Usb(vendor_id, product_id, timeout=2000)
        printer.open()
        return printer
    return ConnectorEscposPrinter(connect, f"usb {vendor_id:04x}:{product_id:04x}", profile)


def serial_printer(path: str, baudrate: int, profile: PrinterProfile) -> ConnectorEscposPrinter:
    def connect():
        from escpos.printer import Serial
        printer = Serial(devfile=path, baudrate=baudrate, timeout=1.0, dsrdtr=False)
        printer.open()
        return printer
    return ConnectorEscposPrinter(connect, f"serial {path}", profile)
