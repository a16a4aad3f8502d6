"""The [cards] config section: MIFARE keys, the CPU card AID and file, trusted issuers, and
which cards must prove themselves (docs/cards.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.config.card_keys import CardKeyring, load_card_keys
from kiosk.errors import ConfigError

KIOSK_AID = bytes.fromhex("F04B494F534B01")  # the kiosk application on CPU cards
KIOSK_FILE_ID = bytes.fromhex("0101")  # its elementary file with the record
TRANSPORT_KEY = b"\xff" * 6  # MIFARE Classic keys as cards leave the factory


@dataclass(frozen=True)
class CardKeys:
    """What a reader needs to reach the record on a card: MIFARE keys (``mifare_key_a/b`` the
    fixed ones older cards carry; ``mifare_master`` the county's, from which each new card's
    sector keys are diversified), the CPU card AID and file."""

    mifare_key_a: bytes = TRANSPORT_KEY
    mifare_key_b: bytes = TRANSPORT_KEY
    aid: bytes = KIOSK_AID
    file_id: bytes = KIOSK_FILE_ID
    mifare_master: bytes = b""

    def __repr__(self) -> str:  # the keys stay out of logs and tracebacks
        return f"CardKeys(aid={self.aid.hex()}, diversified={bool(self.mifare_master)})"


@dataclass(frozen=True)
class CardsSection:
    """[cards]: how the record on a card is reached, and which other stations' cards to trust."""

    legacy_uid_only: bool = False
    mifare_key_a: bytes = TRANSPORT_KEY
    mifare_key_b: bytes = TRANSPORT_KEY
    aid: bytes = KIOSK_AID
    file_id: bytes = KIOSK_FILE_ID
    trusted_issuers: dict[str, str] = field(default_factory=dict)  # station id -> public key hex
    require_authenticated: bool = False  # refuse cards that cannot prove themselves
    desfire_key_file: Path | None = None  # the county's card key file for this station
    rekey: bool = True  # move old cards to the current keys on their next tap
    unverified_visitors: bool = True  # another township's card, county out of reach: a visitor

    def keyring(self) -> CardKeyring | None:
        """The card key file's keys (read when the station starts), or None without one."""
        return load_card_keys(self.desfire_key_file) if self.desfire_key_file else None

    @property
    def keys(self) -> CardKeys:
        """The keys, AID and file the reader and the virtual cards use for the record (without
        the card key file's MIFARE master: bootstrap adds it from ``keyring()``)."""
        return CardKeys(self.mifare_key_a, self.mifare_key_b, self.aid, self.file_id)


def _hex(key: str, value: str, lengths: tuple[int, ...], example: str) -> bytes:
    try:
        data = bytes.fromhex(value.replace(":", "").replace(" ", ""))
    except ValueError:
        data = b""
    if len(data) not in lengths:
        raise ConfigError(key, f"{value!r} is not {' or '.join(map(str, lengths))} bytes of hex",
                          f"write it like {example!r}")
    return data


def cards_section(cards: dict[str, Any], base: Path = Path(".")) -> CardsSection:
    """The [cards] section: MIFARE keys, the CPU card AID and file, trusted issuers."""
    issuers = {}
    for station_id, public_hex in cards.get("trusted_issuers", {}).items():
        if not isinstance(public_hex, str):
            raise ConfigError(f"cards.trusted_issuers.{station_id}", "must be a string",
                              "give the issuing station's public key as 64 hex digits")
        issuers[station_id] = _hex(f"cards.trusted_issuers.{station_id}", public_hex, (32,),
                                   "kiosk keygen prints it as public_key").hex()
    default = CardsSection()
    # name in [cards], how many bytes it may have, and the example its error message gives
    fields = {"mifare_key_a": ((6,), "A0A1A2A3A4A5"), "mifare_key_b": ((6,), "B0B1B2B3B4B5"),
              "aid": (tuple(range(5, 17)), KIOSK_AID.hex().upper()),
              "file_id": ((2,), KIOSK_FILE_ID.hex())}
    keys = {name: _hex(f"cards.{name}", cards.get(name, getattr(default, name).hex().upper()),
                       lengths, example)
            for name, (lengths, example) in fields.items()}
    key_file = cards.get("desfire_key_file", "")
    flags: dict[str, bool] = {name: cards.get(name, getattr(default, name)) for name in (
        "legacy_uid_only", "require_authenticated", "rekey", "unverified_visitors")}
    return CardsSection(trusted_issuers=issuers, desfire_key_file=base / key_file if key_file
                        else None, **flags, **keys)  # type: ignore[arg-type]
