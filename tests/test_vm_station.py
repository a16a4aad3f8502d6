"""The station booted for real: a Debian 12 root with the kiosk installed by `setup.sh install`
(tests/vstation), under systemd in QEMU. What a technician sees after plugging in a Pi.

The tests share one booted station (the session's ``virtual_station``) and run in file order.
"""

from __future__ import annotations

import pytest

from tests.vstation.station import doctor_fails, seed_cards, tap, unit, wait_active, \
    wait_reports

pytestmark = [pytest.mark.vm, pytest.mark.timeout(900)]
EXPECTED_FAILS = ["technicians"]  # a new station: nobody has been added yet


def test_first_boot_made_the_key_and_started_the_kiosk(virtual_station):
    assert wait_active(virtual_station, "kiosk.service")["ActiveState"] == "active"
    firstboot = unit(virtual_station, "kiosk-firstboot.service")
    assert (firstboot["Result"], firstboot["ExecMainStatus"]) == ("success", "0"), firstboot
    assert "first boot finished" in virtual_station.sh(
        "cat /var/log/kiosk-firstboot.log; journalctl -u kiosk-firstboot -o cat").out
    key = virtual_station.sh("stat -c '%a %U %G' /var/lib/kiosk/station.key").check().out
    assert key.split() == ["600", "kiosk", "kiosk"]


def test_doctor_as_the_kiosk_user_fails_only_for_the_missing_technician(virtual_station):
    fails, output = doctor_fails(virtual_station)
    assert fails == EXPECTED_FAILS, output


def test_a_tap_inside_the_station_checks_in(virtual_station):
    seed_cards(virtual_station, 60)
    before = len(virtual_station.checkins())
    taps = tap(virtual_station, 1)
    assert taps and taps[0]["read"], taps
    checkins = wait_reports(virtual_station, "checked_in", before, timeout=60)
    assert len(checkins) == before + 1, virtual_station.reports()[-5:]
