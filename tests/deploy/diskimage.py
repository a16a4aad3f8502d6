"""A small Raspberry Pi OS-shaped disk image for the `setup.sh image` tests: a FAT boot and an
ext4 root partition in one file, built without root or loop devices (mkfs.vfat, mtools,
mke2fs -d), and read back the same way (debugfs, mtools)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

SECTOR = 512
BOOT_START, BOOT_SECTORS = 8192, 32 * 2048       # 32 MiB FAT at 4 MiB, as Raspberry Pi OS
ROOT_START, ROOT_SECTORS = BOOT_START + BOOT_SECTORS, 128 * 2048

GROUPS = "root:x:0:\nlp:x:7:\ndialout:x:20:\nvideo:x:44:\ninput:x:105:\nrender:x:106:\n" \
         "gpio:x:986:\nshadow:x:42:\n"


def sh(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=120, **kwargs)


def build_image(directory: Path) -> Path:
    """raspios.img (uncompressed) with os-release, passwd and boot config like the real one."""
    root = directory / "rootfs"
    (root / "usr/lib").mkdir(parents=True)
    (root / "etc").mkdir()
    (root / "usr/lib/os-release").write_text(
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n')
    (root / "etc/os-release").symlink_to("../usr/lib/os-release")
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "etc/group").write_text(GROUPS)
    (root / "etc/fstab").write_text("proc /proc proc defaults 0 0\n"
                                    "PARTUUID=abc-01 /boot/firmware vfat defaults 0 2\n"
                                    "PARTUUID=abc-02 / ext4 defaults,noatime 0 1\n")
    for name in ("shadow", "gshadow"):
        (root / "etc" / name).write_text("root:*::::::::\n" if name == "shadow" else "root:*::\n")
        (root / "etc" / name).chmod(0o640)
    (root / "boot/firmware").mkdir(parents=True)
    boot = directory / "boot.fat"
    sh("mkfs.vfat", "-n", "bootfs", "-C", str(boot), str(BOOT_SECTORS // 2))
    (directory / "config.txt").write_text("[all]\narm_64bit=1\n")
    (directory / "cmdline.txt").write_text("console=serial0,115200 console=tty1 "
                                           "root=PARTUUID=abc-02 rootfstype=ext4 rootwait\n")
    for name in ("config.txt", "cmdline.txt"):
        sh("mcopy", "-i", str(boot), str(directory / name), f"::{name}")
    image = directory / "raspios.img"
    with image.open("wb") as out:
        out.truncate((ROOT_START + ROOT_SECTORS) * SECTOR)
    sh("sfdisk", "-q", str(image), input=f"label: dos\nstart={BOOT_START}, size={BOOT_SECTORS}, "
                                          f"type=c\nstart={ROOT_START}, size={ROOT_SECTORS}, type=83\n")
    sh("dd", f"if={boot}", f"of={image}", "bs=512", f"seek={BOOT_START}", "conv=notrunc,sparse",
       "status=none")
    sh("mke2fs", "-F", "-q", "-t", "ext4", "-L", "rootfs", "-d", str(root), "-E",
       f"offset={ROOT_START * SECTOR}", str(image), f"{ROOT_SECTORS // 2}k")
    return image


@dataclass
class ImageReader:
    image: Path

    @property
    def ext4(self) -> str:
        return f"{self.image}?offset={ROOT_START * SECTOR}"

    def exists(self, path: str) -> bool:
        result = subprocess.run(["debugfs", "-R", f"stat {path}", self.ext4], capture_output=True,
                                text=True, timeout=60)
        return "File not found" not in result.stderr and "Inode:" in result.stdout

    def stat(self, path: str) -> tuple[int, int, int]:
        """(mode, uid, gid), mode with its file-type bits."""
        out = sh("debugfs", "-R", f"stat {path}", self.ext4).stdout
        words = out.replace(":", " ").split()
        mode = int(words[words.index("Mode") + 1], 8)
        kind = {"regular": 0o100000, "directory": 0o040000, "symlink": 0o120000}[
            words[words.index("Type") + 1]]
        return kind | mode, int(words[words.index("User") + 1]), int(words[words.index("Group") + 1])

    def read(self, path: str) -> str:
        return sh("debugfs", "-R", f"cat {path}", self.ext4).stdout

    def boot_file(self, name: str) -> str:
        return sh("mtype", "-i", f"{self.image}@@{BOOT_START * SECTOR}", f"::{name}").stdout
