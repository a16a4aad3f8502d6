"""`setup.sh install --root DIR` into a mounted root filesystem (issue 6, first part):
the app, config from the options, units, fragments and boot settings land where a
Raspberry Pi OS image needs them; a re-run changes nothing; bad input is refused clearly."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest

from kiosk.config import parse_config

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def image_root(tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'
                                             "VERSION_CODENAME=bookworm\nID=debian\n")
    boot = root / "boot" / "firmware"
    boot.mkdir(parents=True)
    (boot / "config.txt").write_text("arm_64bit=1\n")
    (boot / "cmdline.txt").write_text("console=tty1 root=PARTUUID=abc rootwait\n")
    key = tmp_path / "county.pub"
    key.write_text("ab" * 32 + "\n")
    return root, key


def install(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(REPO / "setup.sh"), "install", *args], capture_output=True,
                          text=True, timeout=120)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_install_into_a_mounted_root(image_root, tmp_path):
    root, key = image_root
    log = tmp_path / "install.log"
    result = install("--root", str(root), "--station-id", "xinglong-01", "--station-name",
                     "兴隆镇卫生服务站", "--printer", "usb:0416:5011", "--county-url",
                     "https://county.example/", "--county-pubkey", str(key), "--log", str(log))
    assert result.returncode == 0, result.stderr
    assert "[1/9] checking the system" in result.stdout and "[9/9]" in result.stdout
    assert "[6/9]" in log.read_text()
    config = parse_config(tomllib.loads((root / "etc/kiosk/kiosk.toml").read_text()))
    assert (config.station_id, config.usb_ids, config.county_public_key) == (
        "xinglong-01", (0x0416, 0x5011), "ab" * 32)
    for path in ("opt/kiosk/app/kiosk/cli.py", "etc/systemd/system/kiosk.service",
                 "etc/systemd/system/multi-user.target.wants/kiosk.service",
                 "etc/systemd/system/graphical.target.wants/kiosk-browser.service",
                 "etc/udev/rules.d/60-kiosk-printers.rules",
                 "etc/modprobe.d/kiosk-blacklist-nfc.conf", "usr/lib/sysusers.d/kiosk.conf",
                 "etc/polkit-1/rules.d/50-kiosk-reboot.rules"):
        assert (root / path).exists() or (root / path).is_symlink(), path
    assert not (root / "var/lib/kiosk/station.key").exists()  # made at first boot, never here
    assert "dtparam=watchdog=on" in (root / "boot/firmware/config.txt").read_text()
    assert "consoleblank=0" in (root / "boot/firmware/cmdline.txt").read_text()

    before = snapshot(root)
    again = install("--root", str(root))  # an upgrade: keeps the config, piles nothing up
    assert again.returncode == 0, again.stderr
    after = snapshot(root)
    assert after == before


def test_dry_run_changes_nothing(image_root):
    root, _ = image_root
    before = snapshot(root)
    result = install("--root", str(root), "--station-id", "xinglong-01", "--dry-run")
    assert result.returncode == 0 and "would" in result.stdout and snapshot(root) == before


@pytest.mark.parametrize("args,message", [
    (["--station-id", "Bad_ID"], "not valid"),
    ([], "--station-id is needed"),
    (["--station-id", "st-01", "--county-url", "http://county.example/"], "https://"),
    (["--station-id", "st-01", "--county-url", "https://county.example/"], "--county-pubkey"),
    (["--station-id", "st-01", "--printer", "lpt1"], "--printer 'lpt1' is not valid"),
    (["--station-id", "st-01", "--bogus"], "unknown option '--bogus'"),
    (["--station-id"], "--station-id needs a value"),
])
def test_bad_options_are_refused_with_the_fix(image_root, args, message):
    root, _ = image_root
    result = install("--root", str(root), *args)
    assert result.returncode == 1 and message in result.stderr, result.stderr


def test_wrong_os_and_missing_root_are_refused(image_root, tmp_path):
    root, _ = image_root
    (root / "etc/os-release").write_text("VERSION_CODENAME=bullseye\n")
    assert "bookworm" in install("--root", str(root), "--station-id", "st-01").stderr
    missing = install("--root", str(tmp_path / "nowhere"), "--station-id", "st-01")
    assert missing.returncode == 1 and "no such directory" in missing.stderr


def test_shell_scripts_are_clean_under_shellcheck():
    result = subprocess.run(["shellcheck", "-x", "setup.sh", "deploy/install.sh", ".ci/run"],
                            cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout
