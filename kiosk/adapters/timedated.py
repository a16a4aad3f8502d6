"""Setting the machine's clock through systemd-timedated on the system D-Bus.

kiosk.service runs as user kiosk without capabilities (``CapabilityBoundingSet=`` empty,
``ProtectClock=yes``, no ``@clock`` system calls), so it cannot set the clock itself. It asks
timedated (``org.freedesktop.timedate1.SetTime``), which runs as root and checks with polkit;
/etc/polkit-1/rules.d/51-kiosk-clock.rules lets the kiosk user set the time and switch NTP,
and nothing else. docs/deploy.md, "The right date without a battery clock", says why this
and not CAP_SYS_TIME on the unit. timedated refuses SetTime while NTP is on, so NTP is
switched off for the setting and on again straight after (timesyncd then corrects the time
as soon as it reaches a server). timedated also writes a fitted RTC.
"""

from __future__ import annotations

import datetime as dt

from kiosk.errors import KioskError

BUS_NAME = "org.freedesktop.timedate1"
OBJECT_PATH = "/org/freedesktop/timedate1"
TIMEOUT_S = 10.0


class ClockNotSettable(KioskError, OSError):
    """The system clock could not be set (no D-Bus, no timedated, polkit said no)."""


def _call(conn, method: str, signature: str, body: tuple, interface: str = BUS_NAME):
    from jeepney import DBusAddress, new_method_call
    from jeepney.wrappers import DBusErrorResponse, unwrap_msg
    address = DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=interface)
    try:
        reply = conn.send_and_get_reply(new_method_call(address, method, signature, body),
                                        timeout=TIMEOUT_S)
        return unwrap_msg(reply)
    except DBusErrorResponse as exc:
        raise ClockNotSettable(f"timedated {method}: {exc.name}: {exc.data}") from exc
    except TimeoutError as exc:
        raise ClockNotSettable(f"timedated {method}: no answer in {TIMEOUT_S:.0f} s") from exc


def set_system_clock(when: dt.datetime, bus: str = "SYSTEM") -> None:
    """Set the system clock to ``when`` (aware); ClockNotSettable when timedated will not.
    ``bus``: "SYSTEM", or a D-Bus address (the tests' private bus)."""
    if when.tzinfo is None:
        raise ValueError("the time to set needs its time zone")
    from jeepney.io.blocking import open_dbus_connection
    usec = int((when - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) / dt.timedelta(microseconds=1))
    try:
        conn = open_dbus_connection(bus=bus)
    except (OSError, KeyError, ValueError) as exc:  # no bus socket, no address, refused
        raise ClockNotSettable(f"no system D-Bus: {exc}") from exc
    with conn:
        ntp = bool(_call(conn, "Get", "ss", (BUS_NAME, "NTP"),
                         interface="org.freedesktop.DBus.Properties")[0][1])
        if ntp:
            _call(conn, "SetNTP", "bb", (False, False))
        try:
            _call(conn, "SetTime", "xbb", (usec, False, False))
        finally:
            if ntp:
                _call(conn, "SetNTP", "bb", (True, False))
