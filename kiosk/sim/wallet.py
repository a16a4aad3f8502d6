"""Issuing virtual cards without a reader, and a wallet file that keeps them.

The demo and the tests need residents whose cards carry real signed records;
this issues them through the same CardDesk a technician's issuance uses and
keeps each card's memory in a JSON wallet, so `kiosk tap wang` presents the
very card that was issued.
"""

from __future__ import annotations

import json
from pathlib import Path

from kiosk.adapters.card_io import read_record
from kiosk.config.cards import CardKeys
from kiosk.domain.model import ReadCard
from kiosk.sim.virtual_card import VirtualCard


def issue_virtual_card(core, role: str, holder_id: str, uid: bytes, kind: str = "mifare",
                       by: str = "setup") -> VirtualCard:
    """A new virtual card of ``kind`` holding a record signed for ``holder_id``."""
    card = VirtualCard(uid, kind)
    keys = core.config.cards.keys
    core.desk.issue(role, holder_id, ReadCard(uid, kind, None),
                    lambda framed: card.write_and_read_back(kind, framed, keys), by)
    card.reset()
    return card


def save_wallet(path: Path, cards: dict[str, VirtualCard]) -> None:
    path.write_text(json.dumps({name: {"uid": c.uid.hex(), "kind": c.kind,
                                       "memory": bytes(c.memory).hex()}
                                for name, c in cards.items()}, indent=1), encoding="utf-8")


def load_wallet(path: Path) -> dict[str, VirtualCard]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {name: VirtualCard(bytes.fromhex(c["uid"]), c["kind"],
                              memory=bytearray(bytes.fromhex(c["memory"])))
            for name, c in data.items()}


def read_card(card: VirtualCard, core=None) -> ReadCard:
    """What a reader would report for this card (no pcscd involved)."""
    card.reset()
    kind, record = read_record(card.respond, card.atr, core.config.cards.keys if core else CardKeys())
    return ReadCard(card.uid, kind, record)
