"""The [cards] config section: MIFARE keys, the CPU card AID and file, trusted issuers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kiosk.errors import ConfigError

KIOSK_AID = bytes.fromhex("F04B494F534B01")  # the kiosk application on CPU cards
KIOSK_FILE_ID = bytes.fromhex("0101")  # its elementary file with the record
TRANSPORT_KEY = b"\xff" * 6  # MIFARE Classic keys as cards leave the factory


@dataclass(frozen=True)
class CardKeys:
    """What a reader needs to reach the record on a card: MIFARE keys, the CPU card AID and file."""

    mifare_key_a: bytes = TRANSPORT_KEY
    mifare_key_b: bytes = TRANSPORT_KEY
    aid: bytes = KIOSK_AID
    file_id: bytes = KIOSK_FILE_ID


@dataclass(frozen=True)
class CardsSection:
    """[cards]: how the record on a card is reached, and which other stations' cards to trust."""

    legacy_uid_only: bool = False
    mifare_key_a: bytes = TRANSPORT_KEY
    mifare_key_b: bytes = TRANSPORT_KEY
    aid: bytes = KIOSK_AID
    file_id: bytes = KIOSK_FILE_ID
    trusted_issuers: dict[str, str] = field(default_factory=dict)  # station id -> public key hex

    @property
    def keys(self) -> CardKeys:
        """The keys, AID and file the reader and the virtual cards use for the record."""
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


def cards_section(cards: dict[str, Any]) -> CardsSection:
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
    return CardsSection(legacy_uid_only=cards.get("legacy_uid_only", default.legacy_uid_only),
                        trusted_issuers=issuers, **keys)
