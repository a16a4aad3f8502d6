"""A stand-in for Raspberry Pi OS Lite (arm64) for `setup.sh image --offline` tests: a small
Debian 12 root made with mmdebstrap, laid out as an SD-card image with a FAT boot partition
(config.txt, cmdline.txt) and an ext4 root. Its architecture is the check's
(``KIOSK_OFFLINE_CHECK``, see ``check_kind``): arm64 like a Pi, made and run under qemu-user,
or this PC's own (amd64), which runs the same offline path natively (as on an arm64 builder)
in a fraction of the time.

Raspberry Pi OS itself cannot be downloaded in CI. Debian 12 is what it is built on (same
suite, same python3 3.11, same package names for everything the station installs), so the
offline path (a chroot of the image, apt from the image's own sources, the wheelhouse with
pyscard's C build, the venv, first boot without a network) runs the same here.

What the stand-in's root holds beyond Debian's apt variant: python3, systemd and
ca-certificates (Raspberry Pi OS Lite has them), the test-only vsmartcard-vpcd (the virtual
reader, as in the virtual station; it brings pcscd), and, unless the full check was asked for
(``KIOSK_OFFLINE_CHECK=full``), empty packages named like the touchscreen's (Chromium and its
translations, cage, Xwayland, Mesa, the Noto CJK fonts): they hold nothing, so the run spends
no time installing a browser that the test never starts. Everything else the station
needs is installed by `setup.sh image --offline` itself, as on a real card.

The root is built once and cached under ``KIOSK_VM_CACHE`` (as the virtual station's), keyed by
its architecture and what went into it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

from tests.vstation.image import CACHE, digest, prune, run

RECIPES = {"arm64": "standin-arm64-1", "amd64": "standin-amd64-1"}
# What each check is made of: the root's Debian architecture (uname -m's spelling beside it),
# and whether the touchscreen's packages are real.
CHECKS = {"native": ("amd64", "x86_64", False), "arm64": ("arm64", "aarch64", False),
          "full": ("arm64", "aarch64", True)}
MIRROR = "deb http://deb.debian.org/debian bookworm main"
BASE_PACKAGES = ("python3", "systemd", "systemd-sysv", "ca-certificates", "vsmartcard-vpcd")
SCREEN_PACKAGES = ("chromium", "chromium-l10n", "cage", "xwayland", "libgl1-mesa-dri", "fonts-noto-cjk")
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


def check_kind() -> str:
    """Which offline-image check runs, from ``KIOSK_OFFLINE_CHECK`` (docs/deploy.md):

    - ``native`` (the default, CI's): an amd64 root on this amd64 PC, so the offline step and
      first boot run natively, as `image --offline` does on an arm64 builder; screen
      packages empty. Minutes.
    - ``arm64``: an arm64 root under qemu-user, as on a county office's PC; screen packages
      empty. About four times longer.
    - ``full``: ``arm64`` with the real touchscreen packages (Chromium under qemu: much longer).
    """
    kind = os.environ.get("KIOSK_OFFLINE_CHECK", "native")
    if kind not in CHECKS:
        raise ValueError(f"KIOSK_OFFLINE_CHECK={kind!r}: one of {', '.join(CHECKS)}")
    return kind


def full_check() -> bool:
    """The real touchscreen packages too (Chromium under qemu: many minutes more)."""
    return CHECKS[check_kind()][2]


def machine() -> str:
    """uname -m's name of the stand-in's architecture (aarch64, x86_64)."""
    return CHECKS[check_kind()][1]


def empty_package(name: str, directory: Path, arch: str) -> Path:
    """An ``arch`` .deb named ``name`` that holds nothing (version 1:999, above Debian's)."""
    tree = directory / name
    (tree / "DEBIAN").mkdir(parents=True, exist_ok=True)
    (tree / "DEBIAN" / "control").write_text(
        f"Package: {name}\nVersion: 1:999\nArchitecture: {arch}\nMaintainer: kiosk tests <t@example>\n"
        "Description: empty stand-in for the offline-image test (its screen is never started)\n")
    deb = directory / f"{name}.deb"
    run("dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(tree), str(deb),
        capture_output=True)
    return deb


def base_root() -> tuple[Path, dict[str, float]]:
    """The stand-in's root tree (cached), and how long its build took (0 when cached)."""
    import time
    arch = CHECKS[check_kind()][0]
    empties = () if full_check() else SCREEN_PACKAGES
    key = digest(RECIPES[arch], MIRROR, *BASE_PACKAGES, *empties)
    root = CACHE / f"standin-{arch}-{key}"
    with standin_lock():
        if (root / ".complete").exists():
            return root, {"standin_root_s": 0.0}
        work = CACHE / f"standin-{arch}-{key}.work"
        shutil.rmtree(work, ignore_errors=True)
        debs = CACHE / f"standin-{arch}-{key}.debs"
        shutil.rmtree(debs, ignore_errors=True)
        debs.mkdir(parents=True)
        hooks = []
        if empties:  # apt's chroot cannot see a local .deb: copied in, then dpkg -i
            files = [empty_package(name, debs, arch) for name in empties]
            inside = " ".join(f"/tmp/{deb.name}" for deb in files)
            hooks = ["--customize-hook=copy-in " + " ".join(map(str, files)) + " /tmp",
                     '--customize-hook=chroot "$1" dpkg -i ' + inside,
                     '--customize-hook=chroot "$1" rm -f ' + inside]
        started = time.monotonic()
        run("mmdebstrap", f"--arch={arch}", "--variant=apt", f"--include={','.join(BASE_PACKAGES)}",
            *hooks,
            "--aptopt=Acquire::Retries 3", "--dpkgopt=path-exclude=/usr/share/doc/*",
            "--dpkgopt=path-include=/usr/share/doc/*/copyright",
            "--dpkgopt=path-exclude=/usr/share/man/*", "--dpkgopt=path-exclude=/usr/share/locale/*",
            "bookworm", str(work), MIRROR, capture_output=True)
        took = time.monotonic() - started
        shutil.rmtree(debs, ignore_errors=True)
        (work / ".complete").write_text(key)
        work.rename(root)
        prune(prefix=f"standin-{arch}-", keep=root, spare=1)
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
