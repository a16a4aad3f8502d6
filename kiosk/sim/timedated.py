"""A stand-in for systemd-timedated on a private D-Bus, for the clock-setting contract test.

It answers what kiosk.adapters.timedated asks (the NTP property, SetNTP, SetTime) the way
timedated does: SetTime is refused with AutomaticTimeSyncEnabled while NTP is on, and with
AccessDenied when ``refuse`` says polkit would not allow it. It sets nothing: it records.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

BUS_NAME = "org.freedesktop.timedate1"


class FakeTimedated:
    def __init__(self, address: str, ntp: bool = True, refuse: bool = False):
        self.address, self.ntp, self.refuse = address, ntp, refuse
        self.calls: list[tuple[str, tuple]] = []
        self.set_usec: int | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="fake-timedated", daemon=True)

    def start(self) -> FakeTimedated:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fake timedated did not get its name on the bus")
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _serve(self) -> None:
        from jeepney import MessageType, new_error, new_method_return
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection
        with open_dbus_connection(bus=self.address) as conn:
            conn.send_and_get_reply(message_bus.RequestName(BUS_NAME), timeout=5)
            self._ready.set()
            while not self._stop.is_set():
                try:
                    msg = conn.receive(timeout=0.2)
                except TimeoutError:
                    continue
                if msg.header.message_type != MessageType.method_call:
                    continue
                member = msg.header.fields.get(3)  # HeaderFields.member
                self.calls.append((member, tuple(msg.body)))
                if member == "Get":
                    conn.send(new_method_return(msg, "v", (("b", self.ntp),)))
                elif member == "SetNTP":
                    self.ntp = bool(msg.body[0])
                    conn.send(new_method_return(msg))
                elif member == "SetTime" and self.refuse:
                    conn.send(new_error(msg, "org.freedesktop.DBus.Error.AccessDenied", "s",
                                        ("Access denied",)))
                elif member == "SetTime" and self.ntp:
                    conn.send(new_error(msg, "org.freedesktop.timedate1.AutomaticTimeSyncEnabled",
                                        "s", ("Automatic time synchronization is enabled",)))
                elif member == "SetTime":
                    self.set_usec = int(msg.body[0])
                    conn.send(new_method_return(msg))
                else:
                    conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s",
                                        (f"no {member}",)))


@contextlib.contextmanager
def private_bus(directory: Path) -> Iterator[str]:
    """A dbus-daemon of our own on a socket in ``directory``; yields its address."""
    socket = directory / "bus"
    address = f"unix:path={socket}"
    proc = subprocess.Popen(["dbus-daemon", "--session", "--nofork", f"--address={address}",
                             "--print-address=1"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # printed once it listens
        if not line:
            raise RuntimeError("dbus-daemon did not start")
        yield address
    finally:
        proc.terminate()
        proc.wait(10)
