"""firmware_config/ (issue 6, first part): each fragment is well-formed and says what the
station needs: watchdog on, no splash, no console blanking, printers for group lp, the NFC
drivers that steal ACR122U readers blacklisted, the journal in memory, reboot-only polkit."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware_config"


def lines(name: str) -> list[str]:
    return [line.strip() for line in (FIRMWARE / name).read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith(("#", "//"))]


def test_config_txt_settings():
    text = (FIRMWARE / "config.txt").read_text()
    assert "dtparam=watchdog=on" in text and "disable_splash=1" in text
    assert all(re.fullmatch(r"\[all\]|[a-z_]+=\S+", line) for line in lines("config.txt"))


def test_cmdline_is_one_line_of_words():
    words = lines("cmdline.txt")
    assert len(words) == 1 and "consoleblank=0" in words[0] and "quiet" in words[0].split()


def test_udev_rules_are_well_formed_and_only_grant_group_lp():
    pair = r'(SUBSYSTEM|KERNEL|ATTRS\{id(Vendor|Product)\})=="[^"]+"|MODE="0660"|GROUP="lp"'
    for rule in lines("60-kiosk-printers.rules"):
        parts = [p.strip() for p in rule.split(",")]
        assert all(re.fullmatch(pair, p) for p in parts), rule
        assert 'GROUP="lp"' in parts and 'MODE="0660"' in parts


def test_nfc_drivers_blacklisted():
    assert {"blacklist pn533_usb", "blacklist pn533", "blacklist nfc"} <= set(lines("blacklist-nfc.conf"))


def test_systemd_fragments_parse():
    for name, section, key, value in [("journald-kiosk.conf", "Journal", "Storage", "volatile"),
                                      ("timesyncd-kiosk.conf", "Time", "PollIntervalMinSec", "32"),
                                      ("watchdog-kiosk.conf", "Manager", "RuntimeWatchdogSec", "15")]:
        parser = configparser.ConfigParser()
        parser.optionxform = str
        parser.read(FIRMWARE / name)
        assert parser[section][key] == value


def test_polkit_lets_the_kiosk_user_reboot_and_nothing_else():
    text = (FIRMWARE / "50-kiosk-reboot.rules").read_text()
    actions = set(re.findall(r'"(org\.freedesktop\.[^"]+)"', text))
    assert actions == {"org.freedesktop.login1.reboot",
                       "org.freedesktop.login1.reboot-multiple-sessions"}
    assert 'subject.user == "kiosk"' in text and text.count("polkit.Result.YES") == 1


def test_polkit_lets_the_kiosk_user_set_the_clock_and_nothing_else():
    """timedated's SetTime for the touchscreen's clock page, and NTP off and on around it
    (timedated refuses SetTime while NTP is on); docs/deploy.md says why not CAP_SYS_TIME."""
    text = (FIRMWARE / "51-kiosk-clock.rules").read_text()
    actions = set(re.findall(r'"(org\.freedesktop\.[^"]+)"', text))
    assert actions == {"org.freedesktop.timedate1.set-time", "org.freedesktop.timedate1.set-ntp"}
    assert 'subject.user == "kiosk"' in text and text.count("polkit.Result.YES") == 1


def test_battery_clock_fragment_and_saved_time_package():
    """The DS3231 overlay for config.txt, and fake-hwclock in the station's packages so a
    boot without network starts from the last saved time (plain Debian 12 lacks it)."""
    fragment = (FIRMWARE / "rtc-ds3231.txt").read_text()
    lines = [line for line in fragment.splitlines() if line and not line.startswith("#")]
    assert lines == ["[all]", "dtoverlay=i2c-rtc,ds3231"]
    common = (FIRMWARE.parent / "deploy" / "common.sh").read_text()
    packages = re.search(r"STATION_PACKAGES=\(([^)]*)\)", common).group(1).split()
    assert {"fake-hwclock", "polkitd"} <= set(packages)
