"""Registration rules and visit corrections in the domain (SQLite store)."""

from __future__ import annotations

import pytest

from kiosk.domain import validation
from kiosk.domain.registry import Registration
from kiosk.domain.validation import Invalid
from kiosk.store.sqlite import iter_events


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
