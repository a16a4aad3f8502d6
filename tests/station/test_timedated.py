"""Setting the system clock through systemd-timedated (kiosk.adapters.timedated), against a
stand-in for timedated on a private dbus-daemon: the real D-Bus messages the station sends."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.adapters.timedated import ClockNotSettable, set_system_clock
from kiosk.sim.timedated import FakeTimedated, private_bus

WHEN = dt.datetime(2026, 11, 29, 0, 30, tzinfo=dt.UTC)


@pytest.fixture
def bus(tmp_path):
    with private_bus(tmp_path) as address:
        yield address


def test_ntp_is_switched_off_for_the_setting_and_on_again(bus):
    timedated = FakeTimedated(bus, ntp=True).start()
    try:
        set_system_clock(WHEN, bus=bus)
    finally:
        timedated.stop()
    assert timedated.set_usec == int(WHEN.timestamp()) * 1_000_000
    assert [c[0] for c in timedated.calls] == ["Get", "SetNTP", "SetTime", "SetNTP"]
    assert timedated.calls[2][1] == (timedated.set_usec, False, False)  # absolute, no prompt
    assert timedated.ntp is True


def test_a_refusal_is_clock_not_settable_and_ntp_comes_back(bus):
    timedated = FakeTimedated(bus, ntp=True, refuse=True).start()
    try:
        with pytest.raises(ClockNotSettable, match="AccessDenied"):
            set_system_clock(WHEN, bus=bus)
    finally:
        timedated.stop()
    assert timedated.ntp is True and timedated.set_usec is None


def test_no_bus_is_clock_not_settable(tmp_path):
    with pytest.raises(ClockNotSettable):
        set_system_clock(WHEN, bus=f"unix:path={tmp_path / 'none'}")
