"""Issuing virtual cards without a reader, and a wallet file that keeps them.

The demo and the tests need residents whose cards carry real signed records;
this issues them through the same CardDesk a technician's issuance uses (the
card personalised, written, read back and authenticated by the product's own
card code) and keeps each card in a JSON wallet, so `kiosk tap wang` presents
the very card that was issued.
"""

from __future__ import annotations

import json
from pathlib import Path

from kiosk.adapters.card_access import CardAccess
from kiosk.domain.model import ReadCard
from kiosk.sim.virtual_card import VirtualCard
from kiosk.sim.virtual_desfire import DesfireApp, DesfireCard, DesfireFile
from kiosk.sim.virtual_ecc import EccCard


def new_card(uid: bytes, kind: str = "mifare", random_id: bool = False) -> VirtualCard:
    """A blank virtual card of ``kind``: mifare, cpu, cpu-ecc, desfire or uid."""
    if kind == "cpu-ecc":
        return EccCard(uid)
    if kind == "desfire":
        return DesfireCard(uid, random_id=random_id)
    return VirtualCard(uid, kind)


def access_of(core) -> CardAccess:
    return core.card_access if core is not None else CardAccess()


def issue_virtual_card(core, role: str, holder_id: str, uid: bytes, kind: str = "mifare",
                       by: str = "setup", reason: str = "new",
                       card: VirtualCard | None = None) -> VirtualCard:
    """A new virtual card of ``kind`` (or ``card``) holding a record signed for ``holder_id``."""
    card = card or new_card(uid, kind)
    access = access_of(core)
    tap = card.read(access)
    core.desk.issue(role, holder_id, ReadCard(tap.uid, tap.kind, tap.record, tap.proof),
                    lambda framed: card.write_and_read_back(tap.kind, framed, access), by,
                    reason, personalise=lambda: card.personalise(access))
    card.reset()
    return card


def _state(card: VirtualCard) -> dict:
    state: dict[str, object] = {"uid": card.uid.hex(), "kind": card.kind,
                                "memory": bytes(card.memory).hex()}
    if isinstance(card, EccCard):
        state["private"] = card.private.hex()
    if isinstance(card, DesfireCard):
        state["random_id"] = card.random_id
        state["apps"] = {aid.hex(): {"keys": [k.hex() for k in app.keys],
                                     "versions": app.versions,
                                     "files": {str(n): [f.comm, f.access.hex(), bytes(f.data).hex()]
                                               for n, f in app.files.items()}}
                         for aid, app in card.apps.items()}
    return state


def _card(state: dict) -> VirtualCard:
    uid, memory = bytes.fromhex(state["uid"]), bytearray(bytes.fromhex(state["memory"]))
    if state["kind"] == "cpu-ecc":
        return EccCard(uid, memory=memory, private=bytes.fromhex(state.get("private", "")))
    if state["kind"] == "desfire":
        apps = {bytes.fromhex(aid): DesfireApp(
                    [bytes.fromhex(k) for k in app["keys"]], list(app["versions"]),
                    {int(n): DesfireFile(f[0], bytes.fromhex(f[1]), bytearray(bytes.fromhex(f[2])))
                     for n, f in app["files"].items()})
                for aid, app in state.get("apps", {}).items()}
        return DesfireCard(uid, random_id=state.get("random_id", False), apps=apps)
    return VirtualCard(uid, state["kind"], memory=memory)


def save_wallet(path: Path, cards: dict[str, VirtualCard]) -> None:
    path.write_text(json.dumps({name: _state(c) for name, c in cards.items()}, indent=1),
                    encoding="utf-8")


def load_wallet(path: Path) -> dict[str, VirtualCard]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {name: _card(state) for name, state in data.items()}


def read_card(card: VirtualCard, core=None) -> ReadCard:
    """What a reader would report for this card (no pcscd involved)."""
    read = card.read(access_of(core))
    return ReadCard(read.uid, read.kind, read.record, read.proof)
