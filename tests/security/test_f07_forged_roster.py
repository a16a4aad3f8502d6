"""Finding 7: one station's key could rewrite other stations' residents.

The attack: holding only station B's key (and its database), append to B's signed log a
revocation of station A's resident card and technician card, a correction of A's resident
and a withdrawal of her consent; after B's sync and A's roster pull, A refused its own
resident and technician and showed the new name. Now the county refuses such entries when
B pushes them (ALERT in its log) and never serves them, and a station applying the roster
refuses them too (logged, and listed in its `roster.applied` event).
"""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.domain.outcomes import CardRefused, CheckedIn, TechnicianCard
from kiosk.domain.registry import Registration
from kiosk.keys import StationKey
from kiosk.protocol.roster import sign_page
from kiosk.sim.wallet import issue_virtual_card, read_card
from kiosk.store.sqlite import iter_events
from kiosk.sync.roster_pull import pull
from kiosk.testing.taps import tap
from tests.county.test_roster import county_and_stations
from tests.county.test_roster import sync as roster_sync


@pytest.fixture
def county_and_two_stations(tmp_path, clock):
    yield from real_county_and_two_stations(tmp_path, clock)


def real_county_and_two_stations(tmp_path, clock):
    """A real county process (its log in county.log) with stations A and B enrolled."""
    log_path = tmp_path / "county.log"
    with log_path.open("wb") as log:
        for cores, paths, _data_dir in county_and_stations(tmp_path, clock, None, stderr=log):
            yield cores, paths, log_path


def sync(path) -> str:
    """`kiosk sync --once` for a station: push, then pull the roster. The test process holds the
    stations' databases (their one writer each), so the command runs here, on that writer, as it
    would go through a running station."""
    return roster_sync(path)


def station_a_with_her_and_a_technician(a):
    resident = a.registry.register(Registration("王秀华", "1994-03-12", "东湾村", consent=True),
                                   by="tech-a")
    her_card = issue_virtual_card(a, "resident", resident.id, bytes.fromhex("04A1B2C3"), "cpu")
    tech = a.staff.add("赵技术员", "246810")
    tech_card = issue_virtual_card(a, "technician", tech.id, bytes.fromhex("08AABBCC"), "cpu")
    cards = dict(a.db.execute("SELECT holder_id, card_no FROM issued_cards").fetchall())
    return resident, her_card, tech_card, cards[resident.id], cards[tech.id], tech.id


def forge_with_b_key(b, resident_id, her_card_no, tech_card_no, tech_id):
    """What an attacker holding B's key appends to B's log: validly signed by B."""
    with b.uow() as uow:
        # B claims to be her home station by registering her id again
        uow.record("resident.registered", {"id": resident_id, "name": "李四", "by": "x",
                                           "birth_date": "1994-03-12", "village": "东湾村"})
        uow.record("card.revoked", {"card_no": her_card_no, "holder_id": resident_id,
                                    "reason": "lost", "by": "x"})
        uow.record("card.revoked", {"card_no": tech_card_no, "holder_id": tech_id,
                                    "reason": "lost", "by": "x"})
        uow.record("resident.corrected", {"resident_id": resident_id, "by": "x",
                                          "changes": {"name": "李四"}, "card_no": her_card_no})
        uow.record("consent.withdrawn", {"resident_id": resident_id, "by": "x"})
        # a forged "lost card reissued at B" pair: B is neither her home nor the issuer
        uow.record("card.issued", {"card_no": "FORGED0001", "role": "resident",
                                   "holder_id": resident_id, "uid_hash": "00" * 32,
                                   "kind": "cpu", "reason": "reissue", "by": "x"})
        uow.record("card.revoked", {"card_no": her_card_no, "holder_id": resident_id,
                                    "reason": "reissued", "by": "x",
                                    "replaced_by": "FORGED0001"})
        uow.commit()


def assert_a_unharmed(a, resident_id, her_card, tech_card):
    outcome = a.checkins.handle_tap(read_card(her_card, a))
    assert isinstance(outcome, CheckedIn), outcome  # her card still works at home
    assert outcome.masked_name == "王*华"
    assert isinstance(a.checkins.handle_tap(read_card(tech_card, a)), TechnicianCard)
    name, consent = a.db.execute("SELECT name, consent_version FROM residents WHERE id = ?",
                                 (resident_id,)).fetchone()
    assert name == "王秀华" and consent == "health-data-consent-v1"


def test_f07_forged_roster_entries_are_refused_and_alerted_at_the_county(
        county_and_two_stations):
    cores, paths, county_log = county_and_two_stations
    a, b = cores["station-a"], cores["station-b"]
    resident, her_card, tech_card, her_no, tech_no, tech_id = station_a_with_her_and_a_technician(a)
    sync(paths["station-a"])
    sync(paths["station-b"])
    forge_with_b_key(b, resident.id, her_no, tech_no, tech_id)
    sync(paths["station-b"])
    sync(paths["station-a"])
    assert_a_unharmed(a, resident.id, her_card, tech_card)
    alerts = [line for line in county_log.read_text().splitlines() if "ALERT" in line]
    # the new home, both revocations, correction, consent, the card "issued" to her at B
    # without her card there (issue 23, N7), and its "reissue" pair, which revokes A's card
    assert len(alerts) == 7, alerts
    assert all("station-b" in line for line in alerts)
    assert "technician cards never cross" in "\n".join(alerts)
    # a legitimate change still crosses: A revokes its own card, and B refuses it (B holds
    # nothing of her: only the card's number crosses, issue 24)
    a.desk.revoke(her_no, "tech-a")
    sync(paths["station-a"])
    sync(paths["station-b"])
    assert b.db.execute("SELECT card_no FROM revoked_cards").fetchall() == [(her_no,)]
    refused = tap(b, read_card(her_card, b))
    assert isinstance(refused, CardRefused) and refused.reason == "revoked"


class PageLink:
    """A county that serves whatever it is given (as if its own rules had failed)."""

    def __init__(self, county_key, entries, stations):
        self.county_key, self.entries, self.stations = county_key, entries, stations

    def roster(self, station_id, after, key):
        entries = self.entries if after == "" else []
        page = {"for": station_id, "after": after,
                "next": f"station-b:{len(entries)}" if entries else after,
                "entries": entries, "stations": self.stations,
                "county_time": dt.datetime(2026, 11, 28, 2, tzinfo=dt.UTC).isoformat()}
        return sign_page(page, self.county_key)


def test_f07_station_refuses_forged_entries_even_if_the_county_serves_them(core):
    resident, her_card, tech_card, her_no, tech_no, tech_id = \
        station_a_with_her_and_a_technician(core)
    county_key = StationKey(Ed25519PrivateKey.generate())
    other = StationKey(Ed25519PrivateKey.generate()).public_bytes().hex()

    def entry(n, type_, data):
        return {"cursor": n, "station_id": "station-b", "seq": n, "type": type_, "data": data}

    entries = [
        entry(1, "card.revoked", {"card_no": her_no, "replaced_by": None}),
        entry(2, "card.revoked", {"card_no": tech_no, "replaced_by": None}),
        entry(3, "resident.corrected", {"resident_id": resident.id, "changes": {"name": "李四"},
                                        "card_no": her_no}),  # she was never at B
        entry(4, "consent.withdrawn", {"resident_id": resident.id, "card_no": None}),
        entry(5, "resident.registered", {"id": resident.id, "name": "李四"}),  # a new home
        entry(6, "card.revoked", {"card_no": her_no, "replaced_by": None}),
    ]
    link = PageLink(county_key, entries, {"station-b": other})
    pull(core, link, county_key.public)
    applied = [e for e in iter_events(core.db) if e.type == "roster.applied"][-1].payload
    assert [r["seq"] for r in applied["refused"]] == [1, 2, 3, 4, 5, 6]
    assert applied["entries"] == 0
    # her card, her technician, her name and her consent are as they were
    name, consent = core.db.execute("SELECT name, consent_version FROM residents").fetchone()
    assert (name, consent) == ("王秀华", "health-data-consent-v1")
    assert isinstance(core.checkins.handle_tap(read_card(her_card, core)), CheckedIn)
    assert isinstance(core.checkins.handle_tap(read_card(tech_card, core)), TechnicianCard)


def test_f07_station_that_served_her_corrects_her_with_her_card(county_and_two_stations):
    """The legitimate path: her card is tapped at B (B looks her up), B issues her a new card
    (a lost card, reissued away from home), checks her in with it and corrects her name; A
    takes the card and the correction, and keeps her old card."""
    cores, paths, county_log = county_and_two_stations
    a, b = cores["station-a"], cores["station-b"]
    resident, her_card, _tech, her_no, _tech_no, _tech_id = station_a_with_her_and_a_technician(a)
    sync(paths["station-a"])
    sync(paths["station-b"])
    assert isinstance(tap(b, read_card(her_card, b)), CheckedIn)  # she is at B
    new_card = issue_virtual_card(b, "resident", resident.id, bytes.fromhex("04A1B2C4"), "cpu")
    assert isinstance(tap(b, read_card(new_card, b)), CheckedIn)
    b.registry.correct(resident.id, {"name": "王秀花"}, by="tech-b")
    sync(paths["station-b"])
    sync(paths["station-a"])
    assert a.db.execute("SELECT name FROM residents").fetchone()[0] == "王秀花"
    assert isinstance(a.checkins.handle_tap(read_card(new_card, a)), CheckedIn)
    assert a.db.execute("SELECT status FROM issued_cards WHERE card_no = ?",
                        (her_no,)).fetchone()[0] == "active"  # only her home revokes it
    assert "ALERT" not in county_log.read_text()
