"""What kills Raspberry Pi kiosks in the field, read from sysfs and procfs.

A weak power supply (the firmware's under-voltage alarm), an SD card the kernel has caught
corrupting ext4, a disk filling up, a hardware watchdog that is not armed, a console that
blanks the screen, and a read-only root whose overlay would swallow the database. `kiosk
doctor` reports each with its fix; the station's status strip (status.html) shows the
ones that are wrong.
Everything reads under ``root`` so the tests can hand in a made-up /sys and /proc.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.domain.validation import N_

log = logging.getLogger(__name__)

MIN_FREE_BYTES = 256 * 1024 * 1024
MIN_FREE_FRACTION = 0.05
VOLATILE_FILESYSTEMS = {"overlay", "tmpfs", "ramfs"}


# Names for `kiosk doctor` lines (msgids in the catalog).
DOCTOR_NAMES = {"power": N_("power supply"), "sd_card": N_("SD card"), "disk": N_("disk space"),
                "watchdog": N_("hardware watchdog"), "screen": N_("screen blanking"),
                "data": N_("data partition")}


@dataclass(frozen=True)
class Finding:
    code: str      # stable, for the status strip and logs
    ok: bool
    detail: str
    fix: str = ""


class HealthProbe:
    def __init__(self, data_dir: Path, root: Path = Path("/"),
                 statvfs: Callable[[str], os.statvfs_result] = os.statvfs):
        self.root = Path(root)
        self.data_dir = Path(data_dir)
        self._statvfs = statvfs

    def _read(self, path: str) -> str | None:
        try:
            return (self.root / path.lstrip("/")).read_text(errors="replace").strip("\0\n ")
        except OSError:
            return None

    def is_raspberry_pi(self) -> bool:
        model = self._read("/proc/device-tree/model") or self._read("/sys/firmware/devicetree/base/model")
        return bool(model and "Raspberry Pi" in model)

    def findings(self) -> list[Finding]:
        items = [self.disk(), self.sd_card()]
        if self.is_raspberry_pi():
            items += [self.power(), self.watchdog(), self.screen(), self.data_persistence()]
        return items

    def problems(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.findings() if not f.ok)

    def power(self) -> Finding:
        for sensor in sorted((self.root / "sys/class/hwmon").glob("hwmon*")):
            if self._read(f"/sys/class/hwmon/{sensor.name}/name") == "rpi_volt":
                alarm = self._read(f"/sys/class/hwmon/{sensor.name}/in0_lcrit_alarm")
                low = alarm == "1"
                return Finding("power", not low, "under-voltage detected now" if low else
                               "supply voltage good",
                               "use the official supply (5.1 V 3 A for a Pi 4, 5 A for a Pi 5) "
                               "and its own cable; power the printer separately")
        return Finding("power", True, "no voltage sensor (rpi_volt) exposed; not checked")

    def sd_card(self) -> Finding:
        errors = {}
        for device in sorted((self.root / "sys/fs/ext4").glob("*")):
            count = self._read(f"/sys/fs/ext4/{device.name}/errors_count")
            if count and count.isdigit() and int(count):
                errors[device.name] = int(count)
        if errors:
            found = ", ".join(f"{name}: {n}" for name, n in errors.items())
            return Finding("sd_card", False, f"ext4 recorded filesystem errors ({found})",
                           "sync to the county now (kiosk sync --once), then move to a new, "
                           "industrial-grade SD card: write a fresh image and restore")
        return Finding("sd_card", True, "no ext4 errors recorded")

    def disk(self) -> Finding:
        worst = None
        for path in ("/", str(self.data_dir)):
            try:
                info = self._statvfs(path)
            except OSError:
                continue
            free = info.f_bavail * info.f_frsize
            total = info.f_blocks * info.f_frsize or 1
            if worst is None or free < worst[1]:
                worst = (path, free, total)
        if worst is None:
            return Finding("disk", True, "free space not readable")
        path, free, total = worst
        low = free < MIN_FREE_BYTES or free / total < MIN_FREE_FRACTION
        return Finding("disk", not low, f"{path}: {free // 2**20} MB free of {total // 2**20} MB",
                       "sudo journalctl --vacuum-size=20M; remove old copies in "
                       f"{self.data_dir}/backups; then check what grew (sudo du -xsh /var/* /opt/*)")

    def watchdog(self) -> Finding:
        state = self._read("/sys/class/watchdog/watchdog0/state")
        armed = state == "active"
        return Finding("watchdog", armed, f"hardware watchdog {state or 'missing'}",
                       "dtparam=watchdog=on in /boot/firmware/config.txt and RuntimeWatchdogSec "
                       "in /etc/systemd/system.conf.d/kiosk-watchdog.conf (setup.sh install "
                       "writes both), then reboot")

    def screen(self) -> Finding:
        blank = self._read("/sys/module/kernel/parameters/consoleblank")
        on = blank not in (None, "0")
        return Finding("screen", not on, "console blanking off" if not on else
                       f"the console blanks after {blank} s",
                       "add consoleblank=0 to /boot/firmware/cmdline.txt (setup.sh install does), "
                       "then reboot")

    def data_persistence(self) -> Finding:
        """A read-only root through an overlay on tmpfs discards whatever is written to it."""
        kind, point = self._mount_of(self.data_dir)
        volatile = kind in VOLATILE_FILESYSTEMS
        return Finding("data", not volatile, f"{self.data_dir} is on {kind or '?'} ({point})",
                       "mount the persistent data partition at /var/lib/kiosk before the kiosk "
                       "starts (see docs/deploy.md, read-only root), or turn the overlay off")

    def _mount_of(self, path: Path) -> tuple[str | None, str]:
        mounts = self._read("/proc/self/mounts") or ""
        best: tuple[str | None, str] = (None, "")
        for line in mounts.splitlines():
            fields = line.split()
            if len(fields) < 3:
                continue
            point = fields[1].replace("\\040", " ")
            inside = str(path) == point or str(path).startswith(point.rstrip("/") + "/")
            if inside and len(point) >= len(best[1]):
                best = (fields[2], point)
        return best


def log_changes(before: tuple[str, ...], after: tuple[str, ...]) -> None:
    """An operator's log line for each problem that appears or clears."""
    for code in sorted(set(after) - set(before)):
        log.warning("station health: %s (kiosk doctor says how to fix it)", code)
    for code in sorted(set(before) - set(after)):
        log.info("station health: %s cleared", code)
