"""Home stations at the county (issue 24), on SQLite and PostgreSQL: the roster feed gives a
station its own residents' entries and only the numbers of everyone else's revoked cards; a
visitor's record comes by a lookup that presents her card's signed record and a fresh tap of
the asking station, audited at the county and limited per station; a move sends her whole
record to her new home; the read model rebuilds to what it was."""

from __future__ import annotations

import logging

import pytest

from kiosk.county.domain.visitors import RosterPolicy
from kiosk.protocol.visitors import verify_answer
from tests.county.homes_rig import HomesCounty, dumps


@pytest.fixture
def county(tmp_path, county_database):
    rig = HomesCounty(county_database or str(tmp_path / "county.db"),
                      RosterPolicy(presence_window_s=3600, lookups_per_minute=4,
                                   lookup_alert_per_day=6))
    yield rig
    rig.close()


def her_at_a(county) -> tuple[str, bytes]:
    """王秀华, registered at A with a card (pushed); (card number, its signed record)."""
    a = county.stations["st-a"]
    a.register("res-wang", "王秀华")
    card_no, record = a.issue("res-wang")
    county.push("st-a")
    return card_no, record


def test_the_feed_gives_a_station_its_own_residents_and_revoked_card_numbers(county):
    card_no, record = her_at_a(county)
    b = county.stations["st-b"]
    b.register("res-li", "李芳")
    county.push("st-b")
    assert county.lookup("st-c", card_no, record).status_code == 200  # she visits C
    c = county.stations["st-c"]
    c.add("visitor.looked_up", {"resident_id": "res-wang", "card_no": card_no, "tap_seq": 1})
    c.check_in("res-wang", card_no)
    county.push("st-c")
    a = county.stations["st-a"]
    a.add("card.revoked", {"card_no": card_no, "holder_id": "res-wang", "reason": "lost", "by": "t"})
    county.push("st-a")

    to_a = county.feed("st-a")  # her home hears where her card was seen, and who looked her up
    assert [e["type"] for e in to_a] == ["visitor.looked_up", "checkin.created"]
    assert all(e["data"]["resident_id"] == "res-wang" for e in to_a)
    for other in ("st-b", "st-c"):  # the others: her revoked card's number, nothing of her
        entries = county.feed(other)
        assert {"type": "card.revoked", "data": {"card_no": card_no}} in [
            {k: e[k] for k in ("type", "data")} for e in entries]
        assert "王秀华" not in dumps(entries) and "res-wang" not in dumps(entries)
    assert "李芳" not in dumps(county.feed("st-c")) and "李芳" not in dumps(county.feed("st-a"))


def test_a_lookup_answers_for_a_presented_card_once_per_tap_and_is_audited(county):
    card_no, record = her_at_a(county)
    county.stations["st-a"].add("care.enrolled", {
        "enrolment_id": "enr-1", "resident_id": "res-wang", "plan": "iud-followup", "by": "t",
        "anchors": {"procedure_date": "2026-10-25"},
        "items": [{"id": "enr-1-m1", "code": "m1", "earliest": "2026-11-20", "due": "2026-11-25",
                   "latest": "2026-12-05"}]})
    county.push("st-a")
    answered = county.lookup("st-c", card_no, record)
    assert answered.status_code == 200
    body = verify_answer(answered.json, county.key.public, "st-c", card_no)
    assert body["resident_id"] == "res-wang" and body["home"] == "st-a"
    assert [e["type"] for e in body["entries"]] == ["resident.registered", "card.issued",
                                                    "care.enrolled"]
    assert "uid_hash" not in dumps(body)
    tap = county.stations["st-c"].tap(card_no, record)
    county.push("st-c")
    assert county.lookup("st-c", card_no, record, tap).status_code == 200
    again = county.lookup("st-c", card_no, record, tap)  # the same tap asks twice
    assert again.status_code == 409 and again.json["error"] == "tap_used"
    audit = [e for e in county.services.audit.entries() if e.action == "visitor.lookup"]
    assert len(audit) == 2 and {e.actor for e in audit} == {"station:st-c"}
    assert audit[0].subject == "res-wang" and card_no in audit[0].detail

    county.clock.advance(seconds=61)  # 4 lookups a minute here
    other_card, other_record = county.stations["st-b"].issue("res-wang")  # B never saw her
    county.push("st-b")
    assert county.lookup("st-c", other_card, other_record).status_code == 404  # kept back
    forged = record[:-1] + bytes([record[-1] ^ 1])
    refused = county.lookup("st-c", card_no, forged)
    assert refused.status_code == 403 and refused.json["error"] == "bad_record"
    county.stations["st-a"].add("card.revoked", {"card_no": card_no, "holder_id": "res-wang",
                                                 "reason": "lost", "by": "t"})
    county.push("st-a")
    revoked = county.lookup("st-c", card_no, record)
    assert revoked.status_code == 403 and revoked.json["error"] == "revoked"
    deep = county.lookup_body("st-c", b"[" * 5000 + b"]" * 5000)
    assert deep.status_code == 400 and deep.json["error"] == "malformed"
    unsigned = county.client.post("/api/v1/visitors/lookup", data=b"{}", headers={
        "X-Station-Id": "st-c", "X-Station-Time": county.clock.now().isoformat(),
        "X-Station-Signature": "00" * 64})
    assert unsigned.status_code == 403


def test_lookups_over_the_limit_get_429_and_one_alert(county, caplog):
    card_no, record = her_at_a(county)
    caplog.set_level(logging.ERROR, logger="kiosk.county")
    codes = [county.lookup("st-c", card_no, record).status_code for _ in range(6)]
    assert codes == [200] * 4 + [429] * 2  # 4 a minute
    county.clock.advance(seconds=61)
    codes = [county.lookup("st-c", card_no, record).status_code for _ in range(3)]
    assert codes == [200, 200, 429]  # 6 a day
    alerts = [r.getMessage() for r in caplog.records if "ALERT" in r.getMessage()]
    assert len(alerts) == 2 and all("st-c" in line for line in alerts)
    assert county.lookup("st-b", card_no, record).status_code == 200  # per station
    assert county.store.lookups_since("st-c", "2026-01-01") == 6  # refused asks are not stored


def test_a_move_sends_her_whole_record_to_her_new_home(county):
    card_no, _record = her_at_a(county)
    a = county.stations["st-a"]
    a.add("visit.logged", {"id": "vis-1", "item_id": "x", "resident_id": "res-wang",
                           "visit_date": "2026-11-30", "outcome": "completed",
                           "next_appointment": None, "next_item_id": None})
    a.add("resident.moved", {"resident_id": "res-wang", "from": "st-a", "to": "st-b", "by": "t"})
    county.push("st-a")
    assert county.store.home_of("res-wang") == "st-b"
    to_b = county.feed("st-b")
    move = next(e for e in to_b if e["type"] == "resident.moved")
    assert [e["type"] for e in move["record"]] == ["resident.registered", "card.issued",
                                                   "visit.logged", "resident.moved"]
    assert "res-wang" not in dumps(county.feed("st-c"))
    # a move by a station that is not her home, without her card there, is kept back
    c = county.stations["st-c"]
    c.add("resident.moved", {"resident_id": "res-wang", "from": "st-b", "to": "st-c", "by": "t"})
    county.push("st-c")
    assert county.kept_back("st-c") == [(1, "resident.moved")]
    assert county.store.home_of("res-wang") == "st-b"
    assert card_no


def test_the_home_read_model_rebuilds_to_what_it_was(county):
    card_no, record = her_at_a(county)
    county.lookup("st-c", card_no, record)
    c = county.stations["st-c"]
    c.check_in("res-wang", card_no)
    c.add("resident.moved", {"resident_id": "res-wang", "from": "st-a", "to": "st-c", "by": "t"})
    county.push("st-c")
    county.stations["st-b"].register("res-li", "李芳")
    county.push("st-b")

    def snapshot():
        read = county.store.backend.reader()
        return [sorted(tuple(r) for r in read.execute(f"SELECT * FROM {table}").fetchall())
                for table in ("resident_homes", "resident_presence", "resident_entries",
                              "roster_cards")]
    live = snapshot()
    assert county.store.home_of("res-wang") == "st-c"
    county.store.write(lambda tx: tx._conn.execute(
        "INSERT INTO county_meta VALUES ('projection_rebuild:home_stations', 'pending')"))
    from kiosk.county.bootstrap import build_projections
    from kiosk.county.projections import Projections
    assert Projections(build_projections()).rebuild_pending(county.store) == ["home_stations"]
    assert snapshot() == live
    assert county.store.pending_rebuilds() == []
