"""`setup.sh image` (issue 6): a Raspberry Pi OS-shaped image the test builds itself (a FAT
boot and an ext4 root partition in one file) comes out with the app, config, units and the
first-boot unit in it, and no station key; with loop devices where the machine has them, and
with debugfs and mtools (--no-loop) everywhere."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.deploy.diskimage import BOOT_SECTORS, ImageReader, build_image

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def raspios(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("raspios")
    image = build_image(directory)
    subprocess.run(["xz", "-0", "-T0", str(image)], check=True, timeout=120)
    return directory / "raspios.img.xz"


def image(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(REPO / "setup.sh"), "image", *args], capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("method", [[], ["--no-loop", "--read-only-root", "LABEL=kiosk-data"]],
                         ids=["default", "no-loop-read-only-root"])
def test_image_holds_the_kiosk_and_no_key(raspios, tmp_path, method):
    out = tmp_path / "station.img"
    userconf = tmp_path / "userconf.txt"
    userconf.write_text("admin:$6$salt$hash\n")
    result = image("--from", str(raspios), "--out", str(out), *method, "--station-id",
                   "xinglong-01", "--printer", "network:192.168.1.50", "--userconf", str(userconf),
                   "--log", str(tmp_path / "image.log"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[6/6] checking the result" in result.stdout and out.exists()
    assert not Path(str(out) + ".partial").exists()
    disk = ImageReader(out)
    for path in ("/opt/kiosk/app/kiosk/cli/main.py", "/opt/kiosk/app/setup.sh",
                 "/etc/systemd/system/kiosk.service", "/etc/systemd/system/kiosk-browser.service",
                 "/etc/systemd/system/kiosk-firstboot.service",
                 "/etc/systemd/system/multi-user.target.wants/kiosk-firstboot.service",
                 "/etc/udev/rules.d/60-kiosk-printers.rules", "/usr/lib/sysusers.d/kiosk.conf"):
        assert disk.exists(path), path
    assert not disk.exists("/var/lib/kiosk/station.key")
    assert 'id = "xinglong-01"' in disk.read("/etc/kiosk/kiosk.toml")
    uid, gid = next((int(f[2]), int(f[3])) for f in (
        line.split(":") for line in disk.read("/etc/passwd").splitlines()) if f[0] == "kiosk")
    assert disk.stat("/var/lib/kiosk") == (0o040700, uid, gid)
    assert disk.stat("/etc/kiosk/kiosk.toml") == (0o100640, 0, gid)
    assert disk.stat("/opt/kiosk/app/setup.sh")[0] == 0o100755
    assert disk.stat("/etc/os-release")[0] == 0o120777  # the image's own files stay as they were
    assert "# >>> kiosk >>>" in disk.boot_file("config.txt")
    assert "consoleblank=0" in disk.boot_file("cmdline.txt")
    assert disk.boot_file("userconf.txt").startswith("admin:")
    fstab = disk.read("/etc/fstab")
    assert "PARTUUID=abc-02 / ext4" in fstab  # the image's own lines stay
    assert ("LABEL=kiosk-data /var/lib/kiosk" in fstab) == ("--read-only-root" in method)
    assert ("overlayroot=tmpfs:recurse=0" in disk.boot_file("cmdline.txt")) == (
        "--read-only-root" in method)
    fsck = subprocess.run(["e2fsck", "-fn", disk.ext4], capture_output=True, text=True, timeout=120)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr


@pytest.mark.parametrize("make,message", [
    (lambda d: d / "missing.img.xz", "no such file"),
    (lambda d: (d / "notes.txt").write_text("x") and d / "notes.txt", "expected a .img or .img.xz"),
    (lambda d: (d / "broken.img.xz").write_bytes(b"not xz") and d / "broken.img.xz", "damaged download"),
    (lambda d: (d / "blank.img").write_bytes(bytes(4096)) and d / "blank.img", "no partition table"),
])
def test_bad_image_files_are_refused(tmp_path, make, message):
    result = image("--from", str(make(tmp_path)), "--out", str(tmp_path / "out.img"),
                   "--station-id", "st-01")
    assert result.returncode == 1 and message in result.stderr, result.stderr
    assert not (tmp_path / "out.img").exists() and not (tmp_path / "out.img.partial").exists()


def test_image_needs_from_and_out(tmp_path):
    assert "--from is needed" in image("--out", str(tmp_path / "o.img")).stderr
    assert "--out is needed" in image("--from", str(tmp_path / "x.img")).stderr


@pytest.mark.parametrize("method", [[], ["--no-loop"]], ids=["loop", "no-loop"])
def test_data_partition_for_a_read_only_root(raspios, tmp_path, method):
    """--data-size: a third partition (LABEL=kiosk-data, top directory kiosk's, 0700) after a
    root grown here, since Raspberry Pi OS grows the root only when it is the last partition
    (grown on a loop device, or on a copy of the partition without one: resize2fs on the image
    file itself would cut it short)."""
    out = tmp_path / "station.img"
    result = image("--from", str(raspios), "--out", str(out), "--station-id", "st-01",
                   "--data-size", "32", "--root-size", "192", *method)
    assert result.returncode == 0, result.stdout + result.stderr
    table = subprocess.run(["sfdisk", "-J", str(out)], capture_output=True, text=True,
                           check=True).stdout
    parts = json.loads(table)["partitiontable"]["partitions"]
    assert [p["size"] for p in parts] == [BOOT_SECTORS, 192 * 2048, 32 * 2048]
    assert parts[2]["start"] == parts[1]["start"] + parts[1]["size"]
    root = ImageReader(out)
    assert "LABEL=kiosk-data /var/lib/kiosk ext4" in root.read("/etc/fstab")
    assert "overlayroot=tmpfs:recurse=0" in root.boot_file("cmdline.txt")
    kiosk = next(line.split(":") for line in root.read("/etc/passwd").splitlines()
                 if line.startswith("kiosk:"))
    data = f"{out}?offset={parts[2]['start'] * 512}"
    stat = subprocess.run(["debugfs", "-R", "stat /", data], capture_output=True, text=True).stdout
    assert "Mode:  0700" in stat and f"User: {kiosk[2]:>5}   Group: {kiosk[3]:>5}" in stat
    label = subprocess.run(["e2label", data], capture_output=True, text=True).stdout.strip()
    assert label == "kiosk-data"
    for fs in (root.ext4, data):
        fsck = subprocess.run(["e2fsck", "-fn", fs], capture_output=True, text=True)
        assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    header = subprocess.run(["dumpe2fs", "-h", root.ext4], capture_output=True, text=True).stdout
    fields = dict(line.split(":", 1) for line in header.splitlines() if ":" in line)
    assert int(fields["Block count"]) * int(fields["Block size"]) == 192 * 2**20  # grown whole


def test_data_size_is_checked(raspios, tmp_path):
    out = str(tmp_path / "o.img")
    assert "--data-size '3' is not valid" in image("--from", str(raspios), "--out", out,
                                                    "--station-id", "st-01", "--data-size", "3").stderr
    both = image("--from", str(raspios), "--out", out, "--station-id", "st-01", "--data-size",
                 "32", "--read-only-root", "LABEL=x")
    assert "drop --read-only-root" in both.stderr
