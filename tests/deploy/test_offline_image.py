"""An SD card that boots to a working kiosk with no network, made on a PC (issue 26).

A small Debian 12 root (tests/deploy/standin.py: Raspberry Pi OS cannot be downloaded in CI)
laid out as an SD image (FAT boot, ext4 root) goes through `setup.sh image --offline`, which
installs the station's packages from the image's own apt sources, builds the wheelhouse
(pyscard's C extension compiled in the image) and the release's venv in a chroot of the image.
Then, in a chroot of the finished image with no network at all (`unshare --net`, only a
loopback): `setup.sh firstboot` completes, the station answers /healthz, takes a tap through
the image's own pcscd with the vpcd virtual reader, the first technician is added with her
card, and `kiosk doctor` has no FAIL but the touchscreen (there is no screen in a chroot).

Which root, from KIOSK_OFFLINE_CHECK (docs/deploy.md, "Checking the offline image's tests"):
``native`` (default, CI): an amd64 root on the amd64 PC, the offline step run natively as on an
arm64 builder (a Pi): every step above, in a few minutes. ``arm64``: an arm64 root made and run
under qemu-user, as on a county office's x86 PC (binfmt, aarch64 wheels, the cross-platform
fetch): several times longer, run by hand. ``full``: ``arm64`` with the real touchscreen
packages (Chromium under qemu); the other two install empty stand-ins for them.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.diskimage import ImageReader
from tests.deploy.standin import BOOT_SECTORS, BOOT_START, base_root, check_kind, full_check, machine, sd_image

# Minutes even natively, many under qemu-user (docs/deploy.md's figures): started early (slow).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(7200 if full_check() else 3600)]
REPO = Path(__file__).resolve().parents[2]
ROOT_START = BOOT_START + BOOT_SECTORS
# Doctor's checks a chroot on a PC cannot pass: there is no touchscreen showing the kiosk.
HARDWARE_CHECKS = ("touchscreen",)


@dataclass
class OfflineImage:
    image: Path
    output: str
    build_s: float
    sizes: dict[str, int]


def sizes_of(image: Path, prefix: str) -> dict[str, int]:
    """The image file's size and how much of its root filesystem is used, in MB."""
    info = subprocess.run(["dumpe2fs", "-h", f"{image}?offset={ROOT_START * 512}"],
                          capture_output=True, text=True, check=True).stdout
    fields = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in info.splitlines()
                                                 if ":" in line)}
    block = int(fields["Block size"])
    used = (int(fields["Block count"]) - int(fields["Free blocks"])) * block
    return {f"{prefix}_file_mb": image.stat().st_size // 2**20, f"{prefix}_root_used_mb": used // 2**20}


def run_to_the_end(command: list[str], timeout: float) -> subprocess.CompletedProcess:
    """``command`` in its own session; stopped with SIGTERM (never SIGKILL) if the test ends
    first, so setup.sh's trap unmounts the image and its chroot."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except BaseException:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.communicate(timeout=120)
        raise
    return subprocess.CompletedProcess(command, proc.returncode, stdout, stderr)


def make_offline_image(work: Path) -> OfflineImage:
    base, took = base_root()
    print(f"figure: standin_root_build_s = {took['standin_root_s']:.0f} s ({check_kind()})")
    raspios = sd_image(base, work / "raspios.img")
    sizes = sizes_of(raspios, "before")
    out = work / "station.img"
    started = time.monotonic()
    result = run_to_the_end([str(REPO / "setup.sh"), "image", "--from", str(raspios), "--out",
                             str(out), "--offline", "--root-size", "3072" if full_check() else "1536",
                             "--station-id", "arm-01", "--printer", "none"], timeout=3000)
    build_s = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-4000:]
    raspios.unlink()
    sizes.update(sizes_of(out, "after"))
    offline_s = re.search(r"in the image: root .* in (\d+) s", result.stdout)
    assert offline_s, result.stdout[-3000:]
    print(f"figure: image_offline_build_s = {offline_s.group(1)} s (the whole image step "
          f"{build_s:.0f} s, {check_kind()} check)")
    for step in re.findall(r"\] (packages|wheelhouse|Python environment): (\d+) s", result.stdout):
        print(f"figure: image_offline_{step[0].replace(' ', '_').lower()}_s = {step[1]} s")
    for name, value in sizes.items():
        print(f"figure: offline_image_{name} = {value} MB")
    return OfflineImage(out, result.stdout, build_s, sizes)


def check_the_image(offline: OfflineImage) -> None:
    """Packages, wheelhouse and venv in; no key, database, policy-rc.d or apt lists left."""
    assert "[5/7] packages, wheelhouse and Python environment into the image" in offline.output
    assert "first boot needs no network" in offline.output
    # The PC's own pip fetched every wheel and pyscard's source with its build requirements:
    # in the image only pyscard and the kiosk were built, without PyPI.
    assert "natively" in offline.output and "without PyPI" in offline.output, offline.output
    emulated = machine() != platform.machine()  # the arm64 checks on this x86 PC
    assert ("through qemu-aarch64" if emulated else "run natively, no qemu") in offline.output
    disk = ImageReader(offline.image)
    for path in ("/opt/kiosk/current/venv/.complete", "/opt/kiosk/current/venv/bin/kiosk",
                 "/usr/sbin/pcscd", "/usr/lib/pcsc/drivers/ifd-ccid.bundle", "/usr/bin/espeak-ng",
                 "/usr/bin/gcc"):
        assert disk.exists(path), path
    wheels = subprocess.run(["debugfs", "-R", "ls -p /opt/kiosk/current/wheels", disk.ext4],
                            capture_output=True, text=True).stdout
    assert re.search(rf"pyscard-[^/]*-cp311-cp311-linux_{machine()}\.whl", wheels), wheels
    for path in ("/var/lib/kiosk/station.key", "/var/lib/kiosk/kiosk.db", "/usr/sbin/policy-rc.d",
                 "/tmp/kiosk-build"):
        assert not disk.exists(path), path
    lists = subprocess.run(["debugfs", "-R", "ls -p /var/lib/apt/lists", disk.ext4],
                           capture_output=True, text=True).stdout
    assert "Packages" not in lists  # apt's caches cleaned
    assert "hold" in disk.read("/var/lib/dpkg/status").split("Package: chromium\n")[1].split("\n")[0]


def first_boot_without_network(image: Path, root: Path) -> dict[str, str]:
    """tests/deploy/offline_firstboot.sh in a chroot of the image's root, in a network
    namespace of its own (a loopback, nothing else); what it wrote, by file name."""
    root.mkdir()
    mounts = []
    try:
        subprocess.run(["mount", "-o", f"loop,offset={ROOT_START * 512}", str(image), str(root)],
                       check=True)
        mounts.append(root)
        for source, target, options in (("proc", "proc", ["-t", "proc"]),
                                         ("sysfs", "sys", ["-t", "sysfs"]),
                                         ("/dev", "dev", ["--bind"]),
                                         ("/dev/pts", "dev/pts", ["--bind"])):
            subprocess.run(["mount", *options, source, str(root / target)], check=True)
            mounts.append(root / target)
        shutil.copy(REPO / "tests/deploy/offline_firstboot.sh", root / "tmp/offline_firstboot.sh")
        started = time.monotonic()
        run = run_to_the_end(
            ["unshare", "--net", "--", "sh", "-c",
             'ip link set lo up && exec chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin '
             'LANG=C.UTF-8 /bin/bash /tmp/offline_firstboot.sh', "check", str(root)], timeout=1200)
        print(f"figure: offline_firstboot_check_s = {time.monotonic() - started:.0f} s")
        assert run.returncode == 0, run.stdout + run.stderr
        out = root / "tmp/offline-check"
        return {path.name: path.read_text() for path in out.iterdir()}
    finally:
        for mount in reversed(mounts):
            subprocess.run(["umount", "-l", str(mount)], check=False)


def test_an_offline_card_made_on_a_pc_boots_to_a_working_kiosk_without_a_network(tmp_path):
    offline = make_offline_image(tmp_path)
    check_the_image(offline)
    read = first_boot_without_network(offline.image, tmp_path / "root")
    firstboot = read.get("firstboot.out", "")
    assert read.get("firstboot.rc", "").strip() == "0", firstboot
    assert "packages present" in firstboot and "apt-get" not in firstboot  # no network step
    assert "Python environment" in firstboot and "present" in firstboot
    assert "station key made" in firstboot and "first boot finished" in firstboot
    assert read.get("technician.rc", "").strip() == "0", read.get("technician.out")
    health = json.loads(read.get("healthz.json") or "{}")
    assert health.get("reader") == "ready", str(health) + read.get("station.log", "")[-3000:]
    assert "Card read" in read.get("tap.out", ""), read.get("tap.out")
    taps = [json.loads(line) for line in read.get("taps.jsonl", "").splitlines()
            if line.startswith("{")]
    assert taps, read.get("taps.jsonl", "") + read.get("station.log", "")[-3000:]
    doctor = read.get("doctor.out", "")
    fails = [line for line in doctor.splitlines() if line.startswith("FAIL")]
    assert doctor and all(any(f"/ {check}:" in line for check in HARDWARE_CHECKS)
                          for line in fails), doctor
    assert "OK   技术员 / technicians: 1 active" in doctor and "OK   读卡服务 pcscd" in doctor
