"""`setup.sh install --card-key FILE`: the county's card key file lands beside the station key,
0600 and the kiosk user's, and [cards] names it; a file that is not one is refused; `setup.sh
image` refuses the option (a card key belongs on one station, never in an image)."""

from __future__ import annotations

import stat
import tomllib

from kiosk.config.card_keys import keyring_for, load_card_keys, write_card_keys
from kiosk.testing.cards import COUNTY_CARD_KEY
from tests.deploy.test_setup_install import install, kiosk_ids, setup


def test_install_card_key(image_root, tmp_path):
    root, key = image_root
    keys = tmp_path / "cg-01.keys"
    write_card_keys(keys, keyring_for(COUNTY_CARD_KEY, "chengguan", 2))
    result = install("--root", str(root), "--no-apt", "--station-id", "cg-01",
                     "--county-url", "https://county.example/", "--county-pubkey", str(key),
                     "--card-key", str(keys))
    assert result.returncode == 0, result.stderr
    installed = root / "var/lib/kiosk/card.keys"
    info = installed.stat()
    assert stat.S_IMODE(info.st_mode) == 0o600 and (info.st_uid, info.st_gid) == kiosk_ids(root)
    assert load_card_keys(installed).township == "chengguan"
    config = tomllib.loads((root / "etc/kiosk/kiosk.toml").read_text())
    assert config["cards"]["desfire_key_file"] == "/var/lib/kiosk/card.keys"
    assert COUNTY_CARD_KEY.hex().upper() not in result.stdout + result.stderr
    again = install("--root", str(root), "--no-apt", "--card-key", str(keys))  # an upgrade
    assert again.returncode == 0, again.stderr
    assert (root / "etc/kiosk/kiosk.toml").read_text().count("desfire_key_file") == 1


def test_bad_card_key_and_images_are_refused(image_root, tmp_path):
    root, _ = image_root
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    bad = install("--root", str(root), "--no-apt", "--station-id", "cg-01", "--card-key", str(notes))
    assert bad.returncode == 1 and "not a card key file" in bad.stderr
    image = setup("image", "--from", str(tmp_path / "x.img"), "--out", str(tmp_path / "o.img"),
                  "--card-key", str(notes))
    assert image.returncode == 1 and "never into an image" in image.stderr
