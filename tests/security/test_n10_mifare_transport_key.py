"""Finding N10: MIFARE Classic cards were issued with the transport key A FFFFFFFFFFFF, so any
reader with the default key read (and copied) the record in seconds, no Crypto-1 attack
needed. Now a station holding the county's card key file gives each card its own sector keys,
diversified from the county's MIFARE master by the card's UID, with access bits that let
key A read and key B write; a card still on the transport key is re-keyed on its next tap.
Crypto-1 stays broken: a determined attacker still cracks the keys (docs/security.md)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kiosk.adapters.card_access import CardAccess
from kiosk.bootstrap import build_core
from kiosk.config.loader import load_config
from kiosk.domain.outcomes import CheckedIn
from kiosk.keys import generate_key_file
from kiosk.sim.virtual_card import VirtualCard
from kiosk.sim.wallet import issue_virtual_card
from kiosk.testing.cards import township_config
from tests.web.staff_kiosk import PIN, Kiosk, issue, register

TRANSPORT = b"\xff" * 6


@pytest.fixture
def kiosk(tmp_path, clock):
    path = township_config(tmp_path / "cg", None, "cg-01", "chengguan")
    generate_key_file(load_config(path).station.key_file)
    core = build_core(load_config(path), clock=clock)
    yield Kiosk(core)
    core.close()


def sector_key_a(card: VirtualCard, sector: int) -> bytes:
    return bytes(card.memory[(sector * 4 + 3) * 16:][:6])


def test_n10_issued_cards_are_not_on_the_transport_key(kiosk):
    tech = kiosk.core.staff.add("赵技术员", PIN)
    tech_card = issue_virtual_card(kiosk.core, "technician", tech.id, bytes.fromhex("08AABBCC"),
                                   "cpu")
    kiosk.login(tech_card)
    card = VirtualCard(bytes.fromhex("04A1B2C3"), "mifare")
    issue(kiosk, register(kiosk), card)
    assert {sector_key_a(card, s) for s in (1, 2, 3)}.isdisjoint({TRANSPORT})
    assert len({sector_key_a(card, s) for s in (1, 2, 3)}) == 3  # each sector its own key
    stranger = card.same_card().read(CardAccess())  # any reader, default key
    assert stranger.kind == "mifare" and stranger.record is None
    assert isinstance(kiosk.tap(card.same_card()).outcome, CheckedIn)
    other = VirtualCard(bytes.fromhex("04A1B2C4"), "mifare")
    kiosk.login(tech_card)
    issue(kiosk, register(kiosk, name="李四"), other)
    assert sector_key_a(other, 1) != sector_key_a(card, 1)  # diversified per card


def test_n10_a_card_on_the_transport_key_is_rekeyed_on_its_next_tap(kiosk):
    core = kiosk.core
    tech = core.staff.add("赵技术员", PIN)
    tech_card = issue_virtual_card(core, "technician", tech.id, bytes.fromhex("08AABBCC"), "cpu")
    kiosk.login(tech_card)
    resident_id = register(kiosk)
    master = core.card_access
    core.card_access = replace(master, keyring=None)  # issued before the key file was installed
    old = issue_virtual_card(core, "resident", resident_id, bytes.fromhex("04A1B2C3"), "mifare")
    core.card_access = master
    assert sector_key_a(old, 1) == TRANSPORT
    assert old.same_card().read(CardAccess()).record is not None  # anyone reads it today

    assert isinstance(kiosk.tap(old).outcome, CheckedIn)  # her next tap: checked in, re-keyed
    assert {sector_key_a(old, s) for s in (1, 2, 3)}.isdisjoint({TRANSPORT})
    assert old.same_card().read(CardAccess()).record is None
    assert isinstance(kiosk.tap(old.same_card()).outcome, CheckedIn)
