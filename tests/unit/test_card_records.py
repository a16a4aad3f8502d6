"""Card records: signing, round trip and refusals, legacy UID-only cards, trusted issuers."""

from __future__ import annotations

import pytest

from kiosk.domain.card_records import (
    CardRecord,
    RecordRefused,
    frame,
    parse_record,
    sign_record,
    unframe,
    verify_record,
)
from kiosk.domain.cards import uid_hash
from kiosk.domain.model import Card, ReadCard, Resident
from kiosk.domain.outcomes import CheckedIn, UnknownCard
from kiosk.keys import make_verifier
from kiosk.sim.virtual_card import VirtualCard
from kiosk.sim.wallet import issue_virtual_card, read_card


def test_record_round_trip_and_refusals(core):
    uid = bytes.fromhex("04A1B2C3")
    record = CardRecord("ABCDEFGH23", "resident", uid, 1795000000, "test-station")
    data = sign_record(record, core.key)
    verify = make_verifier({"test-station": core.key.public})
    assert unframe(frame(data) + b"\x00" * 20) == data
    assert verify_record(data, uid, verify) == parse_record(data)
    with pytest.raises(RecordRefused, match="copied"):
        verify_record(data, bytes.fromhex("04A1B2C4"), verify)
    altered = bytearray(data)
    altered[6] ^= 1
    with pytest.raises(RecordRefused) as refused:
        verify_record(bytes(altered), uid, verify)
    assert refused.value.reason in ("forged", "malformed")
    with pytest.raises(RecordRefused, match="unknown_issuer"):
        verify_record(data, uid, make_verifier({}))
    with pytest.raises(RecordRefused, match="malformed"):
        verify_record(b"KC\x07", uid, verify)
    assert len(frame(data)) <= 144  # fits three MIFARE Classic sectors


def test_legacy_uid_only_cards_only_in_legacy_mode(core):
    uid = bytes.fromhex("04A1B2C3")
    with core.uow() as uow:
        uow.residents.add(Resident("r1", "王秀华"))
        uow.cards.add(Card(uid_hash(uid), "r1"))
        uow.record("card.bound", {"resident_id": "r1"})
        uow.commit()
    assert isinstance(core.checkins.handle_tap(ReadCard(uid)), UnknownCard)  # off by default
    core.desk.legacy_uid_only = True
    outcome = core.checkins.handle_tap(ReadCard(uid))
    assert isinstance(outcome, CheckedIn) and outcome.legacy


def test_a_signed_card_is_not_honoured_by_a_station_that_does_not_trust_its_issuer(core, tmp_path):
    from kiosk.bootstrap import build_core
    from kiosk.config.loader import load_config
    from kiosk.keys import generate_key_file
    from kiosk.testing.station import write_station_config
    with core.uow() as uow:
        uow.residents.add(Resident("r1", "王秀华"))
        uow.record("resident.registered", {"resident_id": "r1"})
        uow.commit()
    card = issue_virtual_card(core, "resident", "r1", bytes.fromhex("04A1B2C3"))
    other_path = write_station_config(tmp_path / "other", None, station_id="other-station")
    generate_key_file(load_config(other_path).station.key_file)
    other = build_core(load_config(other_path))
    try:
        assert other.checkins.handle_tap(read_card(card)).reason == "unknown_issuer"
    finally:
        other.close()


def test_virtual_mifare_needs_key_b_to_write():
    from kiosk.adapters.card_io import write_record
    from kiosk.config.cards import CardKeys
    from kiosk.errors import CardIOError
    card = VirtualCard(bytes.fromhex("04A1B2C3"), "mifare", key_b=b"\x22" * 6)
    with pytest.raises(CardIOError, match="authenticate"):
        write_record(card.respond, "mifare", b"\x00\x05KCabc", CardKeys())
