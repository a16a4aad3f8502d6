"""The station's card key file: made as the county makes it, refused when others can read it
or when it is not one (with the key and the fix), never shown in a repr, and doctor's line."""

from __future__ import annotations

import os

import pytest

from kiosk.config.card_keys import keyring_for, load_card_keys, write_card_keys
from kiosk.config.loader import load_config
from kiosk.errors import ConfigError
from kiosk.ops.doctor_cards import check_card_keys
from kiosk.protocol.desfire import township_key
from kiosk.testing.cards import COUNTY_CARD_KEY, township_config
from kiosk.testing.station import write_station_config


def test_key_file_round_trip_and_refusals(tmp_path):
    path = tmp_path / "card.keys"
    ring = keyring_for(COUNTY_CARD_KEY, "城关镇", 3)
    write_card_keys(path, ring, "for cg-01")
    assert os.stat(path).st_mode & 0o777 == 0o600
    loaded = load_card_keys(path)
    assert loaded == ring and loaded.current == township_key(COUNTY_CARD_KEY, "城关镇", 3)
    assert sorted(loaded.keys) == [1, 2, 3]
    assert loaded.current.hex() not in repr(loaded) and "城关镇" in repr(loaded)
    assert keyring_for(COUNTY_CARD_KEY, "xiqiao").current != ring.keys[1]  # township by township
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_card_keys(path)
    os.chmod(path, 0o600)
    path.write_text('township = "x"\nversion = 2\nmifare_classic = "00"\n[keys]\n1 = "00"\n')
    with pytest.raises(ConfigError) as refused:
        load_card_keys(path)
    assert refused.value.key.startswith("cards.desfire_key_file")
    with pytest.raises(ConfigError, match="does not exist"):
        load_card_keys(tmp_path / "missing")


def test_doctor_line(tmp_path):
    plain = load_config(write_station_config(tmp_path / "plain", None))
    [check] = check_card_keys(plain)
    assert check.ok and check.warn and "FFFFFFFFFFFF" in check.detail
    keyed = load_config(township_config(tmp_path / "cg", None, "cg-01", "chengguan", 2))
    [check] = check_card_keys(keyed)
    assert check.ok and not check.warn and "township chengguan, key version 2" in check.detail
    os.chmod(tmp_path / "cg" / "card.keys", 0o640)
    [check] = check_card_keys(keyed)
    assert not check.ok and "chmod 600" in check.fix
