"""The virtual station's tests that have not yet passed reliably, so not in CI: collected only
with ``--vm-extra`` (tests/vm/conftest.py), run by hand with
``python -m pytest -p no:xdist tests/vm --vm-extra``. They run after test_vm_station.py on its
station, and the read-only-root reboot comes before the power cuts, which then hit the
read-only root (docs/deploy.md, "The virtual station").

- the screen: under TCG on a loaded machine Chromium did not paint the kiosk page in time
  (the screen stayed black);
- the reboot with a read-only root: fixed (busybox in the initramfs, ``ro`` on the kernel's
  command line) but not yet run in full.
"""

from __future__ import annotations

import pytest

from tests.vstation.station import (
    OVERLAY_ROOT,
    doctor_fails,
    sql,
    tap_until_checked_in,
    unit,
    wait_screen_text,
    wait_station_ready,
)

pytestmark = [pytest.mark.vm, pytest.mark.xdist_group("vm"), pytest.mark.timeout(1800)]
EXPECTED_FAILS = {"technicians", "touchscreen"}  # as in test_vm_station.py


def test_the_touchscreen_shows_the_kiosk_page(virtual_station):
    """What the screen shows, read off QEMU's display (QMP screendump) by tesseract: the
    kiosk's own idle page, "请刷卡签到" (the VM's vpcd reader is there)."""
    assert virtual_station.wait_for("pgrep -x chromium", timeout=420).rc == 0, unit(
        virtual_station, "kiosk-browser.service")
    shot = virtual_station.dir / "screen.png"
    text = wait_screen_text(virtual_station, "请刷卡签到", shot, timeout=480)
    assert "请刷卡签到" in text, (f"the screen ({shot}) reads: {text!r}", virtual_station.sh(
        "pgrep -a 'cage|chromium' | cut -c1-120; journalctl -u kiosk-browser -b -o cat | tail -30").out)



def test_reboot_with_a_read_only_root_keeps_the_data(virtual_station):
    """`setup.sh install --read-only-root LABEL=kiosk-data` on the running station moves
    /var/lib/kiosk onto the data disk; after a reboot with overlayroot the root is an overlay
    on memory over the real root mounted read-only, and the station's key and records are
    there and a tap checks in on the data partition."""
    station = virtual_station
    source = "/root/release-good" if station.sh("test -d /root/release-good").rc == 0 \
        else "/root/kiosk-src"
    key = station.sh("sha256sum < /var/lib/kiosk/station.key").check().out
    result = station.sh(f"cd {source} && PIP_NO_COMPILE=1 ./setup.sh install --read-only-root "
                        f"LABEL=kiosk-data --wheels {station.image.wheels}", timeout=900)
    assert result.rc == 0, result.out + result.err
    checkins = sql(station, "SELECT count(*) FROM checkins")[0][0]
    station.cmdline = OVERLAY_ROOT
    station.shutdown()
    since = len(station.reports())
    station.start()
    wait_station_ready(station, since)
    root = station.sh("findmnt -n -o FSTYPE,OPTIONS /").check().out.split()
    assert root[0] == "overlay" and "upperdir=/media/root-rw/" in root[1], root
    lower = station.sh("findmnt -n -o OPTIONS /media/root-ro").check().out
    assert lower.split(",")[0] == "ro", lower
    data = station.sh("findmnt -n -o FSTYPE,SOURCE /var/lib/kiosk").check().out.split()
    assert data[0] == "ext4", data
    assert station.sh(f"blkid -o value -s LABEL {data[1]}").check().out.strip() == "kiosk-data"
    assert station.sh("sha256sum < /var/lib/kiosk/station.key").check().out == key
    assert sql(station, "SELECT count(*) FROM checkins")[0][0] == checkins
    fails, output = doctor_fails(station)
    assert "data partition" not in fails and set(fails) <= EXPECTED_FAILS, output
    before = len(station.checkins())
    assert len(tap_until_checked_in(station, before)) > before
    assert sql(station, "SELECT count(*) FROM checkins")[0][0] == checkins + 1
