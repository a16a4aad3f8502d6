"""`setup.sh install --root DIR --no-apt` into a mounted root filesystem, and `setup.sh
firstboot --root DIR` after it: the app, config from the options, units, fragments and boot
settings land where a Raspberry Pi OS image needs them, with the right owners and modes; a
re-run changes nothing; first boot makes a 0600 key owned by kiosk; bad input is refused."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest

from kiosk.config.loader import parse_config

REPO = Path(__file__).resolve().parents[2]


def install(*args: str) -> subprocess.CompletedProcess:
    return setup("install", *args)


def setup(command: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(REPO / "setup.sh"), command, *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **env})


def kiosk_ids(root: Path) -> tuple[int, int]:
    for line in (root / "etc/passwd").read_text().splitlines():
        name, _, uid, gid, *_ = line.split(":")
        if name == "kiosk":
            return int(uid), int(gid)
    raise AssertionError("no kiosk user in the image's passwd")


def first_boot(root: Path) -> subprocess.CompletedProcess:
    """kiosk-firstboot.service's command, on the tree (no packages, no venv to build there)."""
    return setup("firstboot", "--root", str(root), "--no-apt",
                 KIOSK_BIN=str(Path(sys.executable).parent / "kiosk"))


def snapshot(root: Path) -> dict[str, tuple]:
    """Every file's content, mode and owner; every link's target."""
    return {str(p.relative_to(root)): (os.readlink(p),) if p.is_symlink() else (
        p.lstat().st_mode, p.lstat().st_uid, p.lstat().st_gid, p.is_file() and p.read_bytes())
        for p in sorted(root.rglob("*"))}


def test_install_into_a_mounted_root(image_root, tmp_path):
    root, key = image_root
    log = tmp_path / "install.log"
    result = install("--root", str(root), "--no-apt", "--station-id", "xinglong-01",
                     "--station-name", "兴隆镇卫生服务站", "--printer", "usb:0416:5011",
                     "--county-url", "https://county.example/", "--county-pubkey", str(key),
                     "--rotate", "180", "--log", str(log))
    assert result.returncode == 0, result.stderr
    assert "[1/10] checking the system" in result.stdout and "[10/10]" in result.stdout
    assert "[6/10]" in log.read_text()
    config = parse_config(tomllib.loads((root / "etc/kiosk/kiosk.toml").read_text()))
    assert (config.station.id, config.printer.usb_ids, config.county.public_key) == (
        "xinglong-01", (0x0416, 0x5011), "ab" * 32)
    for path in ("opt/kiosk/app/kiosk/cli/main.py", "opt/kiosk/app/setup.sh",
                 "etc/systemd/system/kiosk.service", "etc/udev/rules.d/60-kiosk-printers.rules",
                 "etc/modprobe.d/kiosk-blacklist-nfc.conf", "usr/lib/sysusers.d/kiosk.conf",
                 "etc/polkit-1/rules.d/50-kiosk-reboot.rules",
                 "etc/polkit-1/rules.d/51-kiosk-clock.rules"):
        assert (root / path).exists(), path
    for unit in ("kiosk", "kiosk-browser", "kiosk-firstboot"):
        link = root / f"etc/systemd/system/multi-user.target.wants/{unit}.service"
        assert os.readlink(link) == f"/etc/systemd/system/{unit}.service"
    # sync is a thread of kiosk.service (one writer per database): no unit of its own
    assert not (root / "etc/systemd/system/multi-user.target.wants/kiosk-sync.service").exists()
    assert (root / "opt/kiosk/current").readlink().parts[0] == "releases"
    assert "KIOSK_CAGE_ROTATION=-r -r" in (root / "etc/kiosk/browser.env").read_text()
    # the browser's logind session lives in the kiosk user's slice, out of its unit's cgroup:
    # the same loopback-only limit is set there (the virtual station tests what it does)
    slice_limits = (root / f"etc/systemd/system/user-{kiosk_ids(root)[0]}.slice.d"
                    / "kiosk-browser-network.conf").read_text()
    assert "[Slice]\nIPAddressDeny=any\nIPAddressAllow=localhost\n" in slice_limits
    assert not (root / "var/lib/kiosk/station.key").exists()  # made at first boot, never here
    assert_owners_and_modes(root)
    assert "dtparam=watchdog=on" in (root / "boot/firmware/config.txt").read_text()
    assert "i2c-rtc" not in (root / "boot/firmware/config.txt").read_text()  # only with --rtc
    assert "consoleblank=0" in (root / "boot/firmware/cmdline.txt").read_text()

    before = snapshot(root)
    again = install("--root", str(root))  # an upgrade: keeps the config, piles nothing up
    assert again.returncode == 0, again.stderr
    after = snapshot(root)
    assert after == before


def assert_owners_and_modes(root: Path) -> None:
    """Root owns everything but the kiosk's data directory; only kiosk and root read the
    config; nothing anybody could write; the kiosk user exists in the image's passwd."""
    uid, gid = kiosk_ids(root)
    for path in [root, *root.rglob("*")]:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            continue
        assert not info.st_mode & stat.S_IWOTH, f"{path} is world-writable"
        inside_data = path.is_relative_to(root / "var/lib/kiosk")
        assert (info.st_uid, info.st_gid) == ((uid, gid) if inside_data else (0, info.st_gid)), path
    data = (root / "var/lib/kiosk").stat()
    assert stat.S_IMODE(data.st_mode) == 0o700
    config = (root / "etc/kiosk/kiosk.toml").stat()
    assert (stat.S_IMODE(config.st_mode), config.st_uid, config.st_gid) == (0o640, 0, gid)
    assert stat.S_IMODE((root / "etc/shadow").stat().st_mode) & 0o077 == 0


def test_install_desk_turns_the_technician_desk_on(image_root):
    """--desk writes [desk] enabled = true; on a station installed without it, it adds it."""
    root, _ = image_root
    assert install("--root", str(root), "--no-apt", "--station-id", "xinglong-02").returncode == 0
    path = root / "etc/kiosk/kiosk.toml"
    assert not parse_config(tomllib.loads(path.read_text())).desk.enabled  # off by default
    result = install("--root", str(root), "--no-apt", "--desk")
    assert result.returncode == 0, result.stderr
    config = parse_config(tomllib.loads(path.read_text()))
    assert config.desk.enabled and config.station.id == "xinglong-02" and config.desk.port == 8443
    again = path.read_text()
    assert install("--root", str(root), "--no-apt", "--desk").returncode == 0
    assert path.read_text() == again  # once only
    assert install("--root", str(root), "--no-apt", "--station-id", "xinglong-03",
                   "--desk").returncode == 0
    assert parse_config(tomllib.loads(path.read_text())).desk.enabled


def test_install_rtc_adds_the_battery_clock_overlay_and_keeps_it(image_root):
    """--rtc ds3231 appends firmware_config/rtc-ds3231.txt inside the kiosk block of
    config.txt; a later install without the option keeps it, once."""
    root, _ = image_root
    config = root / "boot/firmware/config.txt"
    result = install("--root", str(root), "--no-apt", "--station-id", "st-rtc", "--rtc", "ds3231")
    assert result.returncode == 0, result.stderr
    assert config.read_text().count("dtoverlay=i2c-rtc,ds3231") == 1
    assert install("--root", str(root), "--no-apt").returncode == 0
    assert config.read_text().count("dtoverlay=i2c-rtc,ds3231") == 1


def test_first_boot_makes_a_key_owned_by_kiosk(image_root, tmp_path):
    root, _ = image_root
    assert install("--root", str(root), "--no-apt", "--station-id", "st-01").returncode == 0
    cmdline = root / "boot/firmware/cmdline.txt"
    cmdline.write_text(cmdline.read_text().replace(" quiet", ""))  # as Raspberry Pi OS's does
    result = first_boot(root)
    assert result.returncode == 0, result.stderr
    assert "[4/6] the station key" in result.stdout and "[done]" in result.stdout
    assert "quiet" in cmdline.read_text().split()
    key = root / "var/lib/kiosk/station.key"
    info = key.stat()
    assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o600, *kiosk_ids(root))
    assert key.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    before = key.read_bytes()
    again = first_boot(root)  # the unit retries; a second run keeps the key
    assert again.returncode == 0 and "kept" in again.stdout and key.read_bytes() == before

    # Two SD cards written from one image get different keys.
    other = tmp_path / "other"
    shutil.copytree(root, other, symlinks=True)
    (other / "var/lib/kiosk/station.key").unlink()
    assert first_boot(other).returncode == 0
    assert (other / "var/lib/kiosk/station.key").read_bytes() != before


def test_first_boot_needs_an_installed_tree(tmp_path):
    result = setup("firstboot", "--root", str(tmp_path), "--no-apt")
    assert result.returncode == 1 and "run setup.sh install" in result.stderr


def test_install_refuses_a_user_who_is_not_root(image_root):
    root, _ = image_root
    # A copy of the scripts that user "nobody" can read, wherever the checkout lives.
    scripts = Path(tempfile.mkdtemp(prefix="kiosk-setup-"))
    try:
        scripts.chmod(0o755)
        shutil.copy2(REPO / "setup.sh", scripts)
        shutil.copytree(REPO / "deploy", scripts / "deploy")
        result = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                 str(scripts / "setup.sh"), "install", "--root", str(root),
                                 "--station-id", "st-01"], capture_output=True, text=True,
                                timeout=60)
    finally:
        shutil.rmtree(scripts)
    assert result.returncode == 1 and "needs root" in result.stderr, result.stderr


def test_read_only_root_keeps_the_data_on_its_own_partition(image_root):
    root, _ = image_root
    (root / "etc/fstab").write_text("PARTUUID=abc-01 /boot/firmware vfat defaults 0 2\n")
    args = ("--root", str(root), "--no-apt", "--station-id", "st-01",
            "--read-only-root", "LABEL=kiosk-data")
    assert install(*args).returncode == 0
    before = snapshot(root)
    assert install(*args).returncode == 0 and snapshot(root) == before
    fstab = (root / "etc/fstab").read_text()
    assert fstab.startswith("PARTUUID=abc-01 /boot/firmware")  # the image's lines stay
    assert "LABEL=kiosk-data /var/lib/kiosk ext4 defaults,noatime,nofail" in fstab
    assert fstab.count("/var/lib/kiosk") == 1
    cmdline = (root / "boot/firmware/cmdline.txt").read_text()
    assert "overlayroot=tmpfs:recurse=0" in cmdline.split()
    units = root / "etc/systemd/system"
    assert all("RequiresMountsFor=/var/lib/kiosk" in (units / name).read_text()
               for name in ("kiosk.service", "kiosk-firstboot.service"))

    off = install("--root", str(root), "--no-apt", "--writable-root")  # before an upgrade
    assert off.returncode == 0 and "overlayroot" not in (root / "boot/firmware/cmdline.txt").read_text()


def test_dry_run_changes_nothing(image_root):
    root, _ = image_root
    before = snapshot(root)
    result = install("--root", str(root), "--no-apt", "--station-id", "xinglong-01", "--dry-run")
    assert result.returncode == 0 and "would" in result.stdout and snapshot(root) == before


@pytest.mark.parametrize("args,message", [
    (["--station-id", "Bad_ID"], "not valid"),
    ([], "--station-id is needed"),
    (["--station-id", "st-01", "--county-url", "http://county.example/"], "https://"),
    (["--station-id", "st-01", "--county-url", "https://county.example/"], "--county-pubkey"),
    (["--station-id", "st-01", "--printer", "lpt1"], "--printer 'lpt1' is not valid"),
    (["--station-id", "st-01", "--rotate", "45"], "--rotate '45' is not valid"),
    (["--station-id", "st-01", "--station-name", 'a"b'], "quotes"),
    (["--station-id", "st-01", "--read-only-root", "/tmp/x y"], "is not valid"),
    (["--station-id", "st-01", "--read-only-root", "LABEL=d", "--writable-root"], "contradict"),
    (["--station-id", "st-01", "--bogus"], "unknown option '--bogus'"),
    (["--station-id"], "--station-id needs a value"),
    (["--station-id", "st-01", "--rtc", "pcf8523"], "--rtc 'pcf8523' is not known"),
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
    # -x follows setup.sh into every deploy/*.sh it sources.
    result = subprocess.run(["shellcheck", "-x", "setup.sh", ".ci/run"],
                            cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout
