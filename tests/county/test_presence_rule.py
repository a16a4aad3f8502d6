"""The presence rule at the county (issue 23, N7), on SQLite and PostgreSQL: a change to a
resident's care, details, home or cards by a station that is not her home is kept back (and
ALERTed) unless that station's own signed log shows her card there within the window before
it; a card that station issued without her there shows her nowhere."""

from __future__ import annotations

import pytest

from kiosk.county.domain.visitors import RosterPolicy
from tests.county.homes_rig import HomesCounty

ITEM = {"id": "enr-1-m1", "code": "m1", "earliest": "2026-11-20", "due": "2026-11-25",
        "latest": "2026-12-05"}


def changes(card_for_her: str) -> list[tuple[str, dict]]:
    """One change of each kind the rule covers, made by station C about 王秀华 (home A)."""
    return [
        ("care.enrolled", {"enrolment_id": "enr-c", "resident_id": "res-wang", "plan": "prenatal",
                           "anchors": {}, "items": [ITEM], "by": "t"}),
        ("care_item.declined", {"item_id": "enr-1-m1", "resident_id": "res-wang", "by": "t"}),
        ("visit.logged", {"id": "vis-c", "item_id": "enr-1-m1", "resident_id": "res-wang",
                          "visit_date": "2026-12-01", "outcome": "completed",
                          "next_appointment": None, "next_item_id": None}),
        ("visit.corrected", {"id": "vis-c2", "item_id": "enr-1-m1", "resident_id": "res-wang",
                             "visit_date": "2026-12-01", "outcome": "partly_done",
                             "next_appointment": None, "next_item_id": None, "corrects": "vis-1"}),
        ("resident.corrected", {"resident_id": "res-wang", "changes": {"name": "李四"}, "by": "t"}),
        ("consent.withdrawn", {"resident_id": "res-wang", "by": "t"}),
        ("card.issued", {"card_no": card_for_her, "role": "resident", "holder_id": "res-wang",
                         "uid_hash": "00", "kind": "cpu", "reason": "reissue", "by": "t"}),
        ("resident.moved", {"resident_id": "res-wang", "from": "st-a", "to": "st-c", "by": "t"}),
    ]


@pytest.fixture
def county(tmp_path, county_database):
    rig = HomesCounty(county_database or str(tmp_path / "county.db"),
                      RosterPolicy(presence_window_s=3600))
    a = rig.stations["st-a"]
    a.register("res-wang", "王秀华")
    rig.card = a.issue("res-wang")[0]
    a.add("care.enrolled", {"enrolment_id": "enr-1", "resident_id": "res-wang", "plan": "prenatal",
                            "anchors": {}, "items": [ITEM], "by": "t"})
    rig.push("st-a")
    yield rig
    rig.close()


def make(county, station: str, made: list[tuple[str, dict]]) -> list[int]:
    chain = county.stations[station]
    seqs = [chain.add(type_, payload).seq for type_, payload in made]
    county.push(station)
    return seqs


def test_changes_without_her_card_there_are_kept_back_and_alerted(county, caplog):
    seqs = make(county, "st-c", changes("CCARD00001"))
    assert county.kept_back("st-c") == list(zip(seqs, [t for t, _ in changes("x")], strict=True))
    alerts = [r.getMessage() for r in caplog.records if "ALERT" in r.getMessage()]
    assert len(alerts) == 8 and all("station st-c" in line for line in alerts)
    assert county.store.home_of("res-wang") == "st-a"
    assert "st-c" not in [e["station_id"] for e in county.feed("st-a")]  # nothing reaches A


def test_changes_with_her_card_there_in_the_window_are_accepted(county):
    county.stations["st-c"].check_in("res-wang", county.card)
    make(county, "st-c", changes("CCARD00001"))
    county.clock.advance(seconds=3000)  # still within the hour
    make(county, "st-c", [("visit.logged", {"id": "vis-late", "item_id": "enr-1-m1",
                                            "resident_id": "res-wang", "visit_date": "2026-12-01",
                                            "outcome": "completed", "next_appointment": None,
                                            "next_item_id": None})])
    assert county.kept_back("st-c") == []
    assert county.store.home_of("res-wang") == "st-c"  # she moved: A hears that, and forgets her
    assert [e["type"] for e in county.feed("st-a")] == ["resident.moved"]


def test_her_card_there_too_long_ago_or_only_after_is_not_enough(county):
    c = county.stations["st-c"]
    c.check_in("res-wang", county.card)
    county.push("st-c")
    county.clock.advance(seconds=3601)  # the window is an hour here
    late = make(county, "st-c", changes("CCARD00001")[:3])
    c.check_in("res-wang", county.card)  # she comes after the changes
    county.push("st-c")
    assert [seq for seq, _ in county.kept_back("st-c")] == late


def test_a_card_issued_without_her_shows_her_nowhere(county):
    c = county.stations["st-c"]
    c.add("card.issued", {"card_no": "CFORGED001", "role": "resident", "holder_id": "res-wang",
                          "uid_hash": "00", "kind": "cpu", "reason": "new", "by": "t"})
    c.check_in("res-wang", "CFORGED001")  # "checked in" with the refused card
    c.add("care_item.declined", {"item_id": "enr-1-m1", "resident_id": "res-wang", "by": "t"})
    county.push("st-c")
    assert [t for _, t in county.kept_back("st-c")] == ["card.issued", "care_item.declined"]
    assert county.store.card_status("CFORGED001") is None


def test_each_event_of_one_push_is_judged_on_what_the_events_before_it_changed(county):
    """The intake keeps what it read for the length of a push (kiosk.county.store.sql_homes):
    a home, presence or card that an event of the push changes is what the next event sees."""
    declined = ("care_item.declined", {"item_id": "enr-1-m1", "resident_id": "res-wang",
                                       "by": "t"})
    c = county.stations["st-c"]
    kept = c.add(*declined).seq  # not seen at C yet: kept back
    c.check_in("res-wang", county.card)  # now she is
    c.add(*declined)
    c.add("resident.moved", {"resident_id": "res-wang", "from": "st-a", "to": "st-c", "by": "t"})
    c.add("consent.withdrawn", {"resident_id": "res-wang", "by": "t"})  # C is her home now
    c.check_in("res-wang", c.issue("res-wang")[0])  # a card C issues her shows her there
    at_c = c.head.seq
    county.push("st-c")
    assert [seq for seq, _ in county.kept_back("st-c")] == [kept]
    a = county.stations["st-a"]
    a.add(*declined)  # A is her home no longer, and she was never seen there: kept back
    a.add("card.issued", {"card_no": "ACARD00009", "role": "resident", "holder_id": "res-wang",
                          "uid_hash": "00", "kind": "cpu", "reason": "new", "by": "t"})  # kept back
    a.check_in("res-wang", county.card)  # her card from A, issued before the move: seen at A
    shown = a.head.seq
    a.add("card.revoked", {"card_no": county.card, "reason": "lost", "by": "t"})  # A issued it
    a.check_in("res-wang", county.card)  # a revoked card shows her nowhere
    county.push("st-a")
    assert [t for _, t in county.kept_back("st-a")] == ["care_item.declined", "card.issued"]
    assert county.store.card_status(county.card).revoked
    presence = county.store.backend.reader().execute(
        "SELECT station_id, seq FROM resident_presence WHERE resident_id = ? ORDER BY station_id",
        ("res-wang",)).fetchall()
    assert [tuple(r) for r in presence] == [("st-a", shown), ("st-c", at_c)]
