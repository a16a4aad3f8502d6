"""A stand-in for Raspberry Pi OS Lite (arm64) for `setup.sh image --offline` tests: a small
Debian 12 arm64 root made with mmdebstrap (under qemu-user), laid out as an SD-card image with
a FAT boot partition (config.txt, cmdline.txt) and an ext4 root.

Raspberry Pi OS itself cannot be downloaded in CI. Debian 12 is what it is built on (same
suite, same python3 3.11, same package names for everything the station installs), so the
offline path (a qemu-user chroot, apt from the image's own sources, the aarch64 wheelhouse
with pyscard's C build, the venv, first boot without a network) runs the same here.

What the stand-in's root holds beyond Debian's apt variant: python3, systemd and
ca-certificates (Raspberry Pi OS Lite has them), the test-only vsmartcard-vpcd (the virtual
reader, as in the virtual station; it brings pcscd), and, unless the full check was asked for
(``KIOSK_OFFLINE_FULL=1``), empty packages named like the touchscreen's (Chromium, cage,
Xwayland, Mesa, the Noto CJK fonts): they hold nothing, so the CI run spends no time
installing a browser under emulation that the test never starts. Everything else the station
needs is installed by `setup.sh image --offline` itself, as on a real card.

The root is built once and cached under ``KIOSK_VM_CACHE`` (as the virtual station's), keyed by
what went into it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

from tests.vstation.image import CACHE, digest, prune, run

RECIPE = "standin-arm64-1"
MIRROR = "deb http://deb.debian.org/debian bookworm main"
BASE_PACKAGES = ("python3", "systemd", "systemd-sysv", "ca-certificates", "vsmartcard-vpcd")
SCREEN_PACKAGES = ("chromium", "cage", "xwayland", "libgl1-mesa-dri", "fonts-noto-cjk")
SECTOR = 512
BOOT_START, BOOT_SECTORS = 8192, 32 * 2048  # a 32 MiB FAT at 4 MiB, as Raspberry Pi OS


@contextmanager
def standin_lock():
    """One builder of the stand-in at a time, beside (not behind) the virtual station's own
    cache lock: in CI both are built at the same time, on two workers."""
    CACHE.mkdir(parents=True, exist_ok=True)
    fd = os.open(CACHE / ".standin.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def full_check() -> bool:
    """KIOSK_OFFLINE_FULL=1: the real touchscreen packages too (Chromium: many minutes more)."""
    return os.environ.get("KIOSK_OFFLINE_FULL") == "1"


def empty_package(name: str, directory: Path) -> Path:
    """An arm64 .deb named ``name`` that holds nothing (version 1:999, above Debian's)."""
    tree = directory / name
    (tree / "DEBIAN").mkdir(parents=True, exist_ok=True)
    (tree / "DEBIAN" / "control").write_text(
        f"Package: {name}\nVersion: 1:999\nArchitecture: arm64\nMaintainer: kiosk tests <t@example>\n"
        "Description: empty stand-in for the offline-image test (its screen is never started)\n")
    deb = directory / f"{name}.deb"
    run("dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(tree), str(deb),
        capture_output=True)
    return deb


def base_root() -> tuple[Path, dict[str, float]]:
    """The stand-in's root tree (cached), and how long its build took (0 when cached)."""
    import time
    empties = () if full_check() else SCREEN_PACKAGES
    key = digest(RECIPE, MIRROR, *BASE_PACKAGES, *empties)
    root = CACHE / f"standin-{key}"
    with standin_lock():
        if (root / ".complete").exists():
            return root, {"standin_root_s": 0.0}
        work = CACHE / f"standin-{key}.work"
        shutil.rmtree(work, ignore_errors=True)
        debs = CACHE / f"standin-{key}.debs"
        shutil.rmtree(debs, ignore_errors=True)
        debs.mkdir(parents=True)
        hooks = []
        if empties:  # apt's chroot cannot see a local .deb: copied in, then dpkg -i
            files = [empty_package(name, debs) for name in empties]
            inside = " ".join(f"/tmp/{deb.name}" for deb in files)
            hooks = ["--customize-hook=copy-in " + " ".join(map(str, files)) + " /tmp",
                     '--customize-hook=chroot "$1" dpkg -i ' + inside,
                     '--customize-hook=chroot "$1" rm -f ' + inside]
        started = time.monotonic()
        run("mmdebstrap", "--arch=arm64", "--variant=apt", f"--include={','.join(BASE_PACKAGES)}",
            *hooks,
            "--aptopt=Acquire::Retries 3", "--dpkgopt=path-exclude=/usr/share/doc/*",
            "--dpkgopt=path-include=/usr/share/doc/*/copyright",
            "--dpkgopt=path-exclude=/usr/share/man/*", "--dpkgopt=path-exclude=/usr/share/locale/*",
            "bookworm", str(work), MIRROR, capture_output=True)
        took = time.monotonic() - started
        shutil.rmtree(debs, ignore_errors=True)
        (work / ".complete").write_text(key)
        work.rename(root)
        prune(prefix="standin-", keep=root, spare=1)
        return root, {"standin_root_s": took}


def sd_image(root: Path, out: Path, spare_mb: int = 64) -> Path:
    """``out``: partition 1 a FAT boot (config.txt, cmdline.txt), partition 2 an ext4 root
    holding ``root``'s files with ``spare_mb`` free (the image step grows it, as on a Pi)."""
    used_kb = int(subprocess.run(["du", "-sk", "--exclude=.complete", str(root)], check=True,
                                 capture_output=True, text=True).stdout.split()[0])
    root_sectors = ((used_kb // 1024 * 12 // 10 + spare_mb) * 2048 + 8191) // 8192 * 8192
    root_start = BOOT_START + BOOT_SECTORS
    boot = out.with_suffix(".boot")
    run("mkfs.vfat", "-n", "bootfs", "-C", str(boot), str(BOOT_SECTORS // 2), capture_output=True)
    for name, text in (("config.txt", "[all]\narm_64bit=1\n"),
                       ("cmdline.txt", "console=serial0,115200 console=tty1 root=PARTUUID=abc-02 "
                                       "rootfstype=ext4 rootwait\n")):
        source = out.parent / name
        source.write_text(text)
        run("mcopy", "-i", str(boot), str(source), f"::{name}")
        source.unlink()
    with out.open("wb") as image:
        image.truncate((root_start + root_sectors) * SECTOR)
    run("sfdisk", "-q", str(out), input=f"label: dos\nstart={BOOT_START}, size={BOOT_SECTORS}, "
        f"type=c\nstart={root_start}, size={root_sectors}, type=83\n", text=True)
    run("dd", f"if={boot}", f"of={out}", "bs=512", f"seek={BOOT_START}", "conv=notrunc,sparse",
        "status=none")
    boot.unlink()
    run("mke2fs", "-F", "-q", "-t", "ext4", "-L", "rootfs", "-d", str(root), "-E",
        f"offset={root_start * SECTOR}", str(out), f"{root_sectors // 2}k")
    return out
