"""What a reader needs to read, authenticate and personalise the kiosk's cards.

The composition root builds one ``CardAccess`` from the config, the card key file and the
county link, and hands it to the reader (PC/SC or fake) and to the virtual cards' issuance,
so all of them run the same card code (kiosk.adapters.card_io).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from kiosk.config.card_keys import CardKeyring
from kiosk.config.cards import CardKeys, CardsSection
from kiosk.protocol.desfire import DESFIRE_AID, Session, diversify

__all__ = ["DESFIRE_AID", "CardAccess", "CardRelay"]


class CardRelay(Protocol):
    """The county's half of AuthenticateEV2First for a card of another township: it derives
    the card's key from the county key and never hands it out, only the session's keys.
    Network trouble raises OSError; a refusal raises kiosk.protocol.desfire.Ev2Failed."""

    def begin(self, township: str, version: int, uid: bytes, key_no: int,
              enc_rnd_b: bytes) -> tuple[str, bytes]:
        """(token, the reader's answer E(K, RndA || RndB')) to the card's E(K, RndB)."""
        ...

    def finish(self, token: str, card_answer: bytes) -> Session:
        """The session, once the card's last answer proved it holds the key."""
        ...


@dataclass(frozen=True)
class CardAccess:
    keys: CardKeys = field(default_factory=CardKeys)
    keyring: CardKeyring | None = None  # this station's township keys (card key file)
    relay: CardRelay | None = None  # the county, for other townships' cards
    rekey: bool = True  # move old cards to the current keys on their next tap

    @staticmethod
    def of(keys: CardKeys | CardAccess) -> CardAccess:
        return keys if isinstance(keys, CardAccess) else CardAccess(keys)

    @staticmethod
    def from_config(cards: CardsSection, relay: CardRelay | None = None) -> CardAccess:
        """The station's: ConfigError (naming cards.desfire_key_file) if its key file is bad."""
        return CardAccess(cards.keys, cards.keyring(), relay, cards.rekey)

    @property
    def mifare_master(self) -> bytes:
        if self.keyring and self.keyring.mifare_classic:
            return self.keyring.mifare_classic
        return self.keys.mifare_master

    def mifare_keys(self, uid: bytes, sector: int) -> tuple[bytes, bytes] | None:
        """(key A, key B) of one sector of this card, diversified from the county's MIFARE
        master (AN10922 over UID, sector and a label), or None without a master."""
        master = self.mifare_master
        if not master:
            return None
        return tuple(diversify(master, uid + bytes([sector]) + label)[:6]  # type: ignore[return-value]
                     for label in (b"KIOSK-MFC-A", b"KIOSK-MFC-B"))
