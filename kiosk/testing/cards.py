"""Stations of two townships for tests and bench/: a county card key, each station's card key
file made from it as the county makes them (kiosk.config.card_keys.keyring_for)."""

from __future__ import annotations

from pathlib import Path

from kiosk.config.card_keys import keyring_for, write_card_keys
from kiosk.sim.pcscd import PcscdHarness
from kiosk.testing.station import write_station_config

COUNTY_CARD_KEY = bytes.fromhex("6B696F736B2D636F756E74792D6B6579")  # tests only


def township_config(directory: Path, harness: PcscdHarness | None, station_id: str,
                    township: str, version: int = 1, extra_cards: str = "", extra: str = "",
                    county_key: bytes = COUNTY_CARD_KEY, **kwargs) -> Path:
    """A station config whose [cards] names a card key file of ``township`` (0600)."""
    directory.mkdir(parents=True, exist_ok=True)
    write_card_keys(directory / "card.keys", keyring_for(county_key, township, version),
                    f"township {township}, for station {station_id}")
    return write_station_config(directory, harness, station_id=station_id,
                                extra=f'\n[cards]\ndesfire_key_file = "card.keys"\n{extra_cards}'
                                      f"{extra}", **kwargs)


def rekey_township(directory: Path, township: str, version: int,
                   county_key: bytes = COUNTY_CARD_KEY) -> None:
    """The county's next key version for that station (its older ones stay in the file)."""
    write_card_keys(directory / "card.keys", keyring_for(county_key, township, version))
