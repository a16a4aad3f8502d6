"""Station health (issue 6): under-voltage, SD-card filesystem errors, a nearly full disk, the
hardware watchdog, console blanking and a data directory on a volatile overlay are read from
(made-up) sysfs and procfs trees, reported by `kiosk doctor` with their fixes, and shown on
the status strip in Chinese and English."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kiosk.adapters.health import HealthProbe, log_changes
from kiosk.station.hub import ScreenHub

GiB = 2**30


def statvfs(free: int, total: int = 16 * GiB):
    return lambda path: os.statvfs_result((4096, 4096, total // 4096, free // 4096,
                                           free // 4096, 0, 0, 0, 0, 255))


def write(root: Path, path: str, text: str) -> None:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


@pytest.fixture
def pi(tmp_path) -> Path:
    """A healthy Raspberry Pi 4 as /sys and /proc show it."""
    root = tmp_path / "pi"
    write(root, "/proc/device-tree/model", "Raspberry Pi 4 Model B Rev 1.5\0")
    write(root, "/sys/class/hwmon/hwmon0/name", "cpu_thermal\n")
    write(root, "/sys/class/hwmon/hwmon1/name", "rpi_volt\n")
    write(root, "/sys/class/hwmon/hwmon1/in0_lcrit_alarm", "0\n")
    write(root, "/sys/fs/ext4/mmcblk0p2/errors_count", "0\n")
    write(root, "/sys/class/watchdog/watchdog0/state", "active\n")
    write(root, "/sys/module/kernel/parameters/consoleblank", "0\n")
    write(root, "/proc/self/mounts", "/dev/mmcblk0p2 / ext4 rw,noatime 0 0\n"
                                     "/dev/mmcblk0p1 /boot/firmware vfat rw 0 0\n")
    return root


def probe(root: Path, free: int = 8 * GiB) -> HealthProbe:
    return HealthProbe(Path("/var/lib/kiosk"), root=root, statvfs=statvfs(free))


def test_a_healthy_pi_has_no_problems(pi):
    findings = probe(pi).findings()
    assert {f.code for f in findings} == {"power", "sd_card", "disk", "watchdog", "screen", "data"}
    assert all(f.ok for f in findings) and probe(pi).problems() == ()


@pytest.mark.parametrize("path,text,code", [
    ("/sys/class/hwmon/hwmon1/in0_lcrit_alarm", "1\n", "power"),
    ("/sys/fs/ext4/mmcblk0p2/errors_count", "3\n", "sd_card"),
    ("/sys/class/watchdog/watchdog0/state", "inactive\n", "watchdog"),
    ("/sys/module/kernel/parameters/consoleblank", "600\n", "screen"),
    ("/proc/self/mounts", "overlayroot / overlay rw 0 0\n", "data"),
])
def test_each_problem_is_found_with_its_fix(pi, path, text, code):
    write(pi, path, text)
    finding = next(f for f in probe(pi).findings() if f.code == code)
    assert not finding.ok and finding.fix
    assert probe(pi).problems() == (code,)


def test_missing_watchdog_is_a_problem_on_a_pi(pi):
    (pi / "sys/class/watchdog/watchdog0/state").unlink()
    assert probe(pi).problems() == ("watchdog",)


def test_data_partition_under_an_overlay_root_is_fine(pi):
    write(pi, "/proc/self/mounts", "overlayroot / overlay rw 0 0\n"
                                   "/dev/mmcblk0p3 /var/lib/kiosk ext4 rw,noatime 0 0\n")
    assert probe(pi).problems() == ()


def test_nearly_full_disk(pi):
    assert probe(pi, free=100 * 2**20).problems() == ("disk",)
    assert probe(pi, free=int(0.04 * 16 * GiB)).problems() == ("disk",)


def test_not_a_pi_checks_only_disk_and_sd_card(tmp_path):
    findings = probe(tmp_path).findings()
    assert {f.code for f in findings} == {"disk", "sd_card"}


def test_problems_reach_the_strip_and_the_log(caplog):
    hub = ScreenHub()
    log_changes((), ("power",))
    hub.health_status(("power",))
    assert hub.status.health == ("power",) and "power" in caplog.text


def test_status_strip_shows_problems_in_both_languages():
    from kiosk.web import create_app
    hub = ScreenHub()
    hub.health_status(("power", "sd_card"))
    client = create_app(hub).test_client()
    html = client.get("/").get_data(as_text=True)
    assert "电源供电不足" in html and "SD 卡出现错误" in html and 'id="health-power"' in html
    client.get("/lang/en")
    assert "Power supply too weak" in client.get("/").get_data(as_text=True)


def test_doctor_says_who_vouches_for_the_clock_and_checks_the_battery_clock(core, config, tmp_path):
    """kiosk doctor judges the clock as the station does (station.clock = "checked" here, on a
    made-up /run and /sys) and reads the battery RTC: none, flat, or holding a time."""
    import dataclasses
    import datetime as dt

    from kiosk.adapters.clock import FakeClock
    from kiosk.ops.doctor import _check_clock, _check_rtc
    checked = dataclasses.replace(config, station=dataclasses.replace(config.station, clock="checked"))
    later = FakeClock(dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC))
    [line] = _check_clock(checked, tmp_path, later)
    assert not line.ok and "未设置" in line.detail and "not set" in line.detail and "触摸屏" in line.fix
    (tmp_path / "run/systemd/timesync").mkdir(parents=True)
    (tmp_path / "run/systemd/timesync/synchronized").touch()
    [line] = _check_clock(checked, tmp_path, later)
    assert line.ok and "(ntp)" in line.detail
    behind = FakeClock(dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC))  # a day behind the log
    [line] = _check_clock(checked, tmp_path, behind)
    assert not line.ok

    [none] = _check_rtc(checked, tmp_path)
    assert none.ok and "未安装" in none.detail
    rtc = tmp_path / "sys/class/rtc/rtc0"
    rtc.mkdir(parents=True)
    [flat] = _check_rtc(checked, tmp_path)  # the kernel refuses to read a stopped chip
    assert not flat.ok and "电池" in flat.fix
    (rtc / "since_epoch").write_text(f"{int(dt.datetime.now(dt.UTC).timestamp())}\n")
    [fine] = _check_rtc(checked, tmp_path)
    assert fine.ok and not fine.warn and "UTC" in fine.detail
