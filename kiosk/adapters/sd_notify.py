"""systemd's notify protocol (sd_notify) without libsystemd: READY, WATCHDOG, STOPPING.

kiosk.service is Type=notify with WatchdogSec=: the station loop pings the watchdog
from its main loop, so a loop stuck anywhere gets the service restarted.
"""

from __future__ import annotations

import os
import socket
import time


class Notifier:
    def __init__(self, address: str | None = None, interval: float | None = None):
        address = address if address is not None else os.environ.get("NOTIFY_SOCKET", "")
        self.address = "\0" + address[1:] if address.startswith("@") else address
        usec = os.environ.get("WATCHDOG_USEC", "")
        self.interval = interval if interval is not None else (
            int(usec) / 2e6 if usec.isdigit() else 5.0)
        self._last = 0.0

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def send(self, state: str) -> None:
        if not self.address:
            return
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            try:
                sock.sendto(state.encode(), self.address)
            except OSError:
                pass  # systemd went away: nothing to tell

    def ready(self) -> None:
        self.send("READY=1")

    def watchdog(self) -> None:
        """Ping at most every half watchdog period."""
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self.send("WATCHDOG=1")

    def stopping(self) -> None:
        self.send("STOPPING=1")
