"""Registration rules, card records and visit corrections in the domain (SQLite store)."""

from __future__ import annotations

import pytest

from kiosk.adapters.virtual_card import VirtualCard
from kiosk.domain import validation
from kiosk.domain.card_records import (CardRecord, RecordRefused, frame, parse_record, sign_record,
                                       unframe, verify_record)
from kiosk.domain.cards import uid_hash
from kiosk.domain.model import Card, ReadCard, Resident
from kiosk.domain.outcomes import CheckedIn, UnknownCard
from kiosk.domain.registry import Registration
from kiosk.domain.validation import Invalid
from kiosk.keys import make_verifier
from kiosk.store.sqlite import iter_events
from kiosk.virtual_cards import issue_virtual_card, read_card


@pytest.mark.parametrize("name", ["王秀华", "张𠮷祥", "\U00031350丽", "李\ue000", "Anna-Maria Lǐ",
                                  "阿卜杜拉·艾买提"])
def test_any_unicode_name_is_accepted(name):
    assert validation.text("name", name) == name


@pytest.mark.parametrize("name", ["王\x00华", "王\u202e华", ""])
def test_control_characters_and_empty_names_are_refused(name):
    with pytest.raises(Invalid):
        validation.text("name", name)


def test_national_id_check_digit():
    assert validation.national_id("11010119900307803x") == "11010119900307803X"
    with pytest.raises(Invalid, match="check digit"):
        validation.national_id("110101199003078031")


def test_new_pin_is_six_to_eight_digits():
    assert validation.pin("000000") == "000000" and validation.pin("12345678")
    for bad in ("123", "1234", "12345", "123456789", "12a456", "", None):
        with pytest.raises(Invalid):
            validation.pin(bad)


def test_correction_appends_an_event_and_changes_only_the_named_fields(core):
    resident = core.registry.register(Registration("王秀华", "1994-03-12", "东湾村", "", "",
                                                   True), by="t1")
    core.registry.correct(resident.id, {"village": "西岭村"}, by="t1")
    row = core.db.execute("SELECT name, village FROM residents").fetchone()
    assert row == ("王秀华", "西岭村")
    corrected = [e for e in iter_events(core.db) if e.type == "resident.corrected"]
    assert corrected[0].payload == {"resident_id": resident.id, "changes": {"village": "西岭村"},
                                    "by": "t1"}


def test_withdrawn_consent_stops_new_health_records(core):
    resident = core.registry.register(Registration("王秀华", "1994-03-12", "东湾村", consent=True),
                                      by="t1")
    core.registry.withdraw_consent(resident.id, by="t1")
    with pytest.raises(Invalid, match="consent"):
        core.care.enrol(resident.id, "pre-pregnancy", {"enrolment_date": "2026-11-28"}, "t1")


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
    from kiosk.config import load_config
    from kiosk.keys import generate_key_file
    from kiosk.testing import write_station_config
    with core.uow() as uow:
        uow.residents.add(Resident("r1", "王秀华"))
        uow.record("resident.registered", {"resident_id": "r1"})
        uow.commit()
    card = issue_virtual_card(core, "resident", "r1", bytes.fromhex("04A1B2C3"))
    other_path = write_station_config(tmp_path / "other", None, station_id="other-station")
    generate_key_file(load_config(other_path).key_file)
    other = build_core(load_config(other_path))
    try:
        assert other.checkins.handle_tap(read_card(card)).reason == "unknown_issuer"
    finally:
        other.db.conn.close()


def test_visit_correction_appends_and_replaces_in_her_record(core, clock):
    from kiosk.store.queries import resident_record
    resident = core.registry.register(Registration("王秀华", "1994-03-12", "东湾村", consent=True),
                                      by="t1")
    items = core.care.enrol(resident.id, "iud-followup", {"procedure_date": "2026-10-25"}, "t1")
    first = core.care.log_visit(items[0].id, "2026-11-26", "completed", "ok", None, "t1")
    fixed = core.care.log_visit(items[0].id, "2026-11-25", "partly_done", "ok", None, "t2",
                                corrects=first.id)
    record = resident_record(core.db, resident.id, clock.now())
    assert [v.id for v in record.visits] == [fixed.id]  # the correction replaces it on screen
    logged = [e.type for e in iter_events(core.db) if e.type.startswith("visit.")]
    assert logged == ["visit.logged", "visit.corrected"]  # and both stay in the log
    assert core.db.execute("SELECT COUNT(*) FROM visits").fetchone()[0] == 2


def test_visit_in_the_future_is_refused(core):
    resident = core.registry.register(Registration("王秀华", "1994-03-12", "东湾村", consent=True),
                                      by="t1")
    items = core.care.enrol(resident.id, "iud-followup", {"procedure_date": "2026-10-25"}, "t1")
    with pytest.raises(Invalid, match="future"):
        core.care.log_visit(items[0].id, "2027-01-30", "completed", "", None, "t1")


def test_virtual_mifare_needs_key_b_to_write():
    from kiosk.adapters.card_io import CardIOError, CardKeys, write_record
    card = VirtualCard(bytes.fromhex("04A1B2C3"), "mifare", key_b=b"\x22" * 6)
    with pytest.raises(CardIOError, match="authenticate"):
        write_record(card.respond, "mifare", b"\x00\x05KCabc", CardKeys())
