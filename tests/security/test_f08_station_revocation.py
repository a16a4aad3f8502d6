"""Finding 8: revoking a station did not stop what it had already sent.

After `kiosk-county revoke`, the roster still served the revoked station's entries and the
other stations kept trusting its key. Now the county serves none of its entries from the
revocation on, flags those after its last trusted acknowledgement for review, and the
roster page carries the revocation: stations refuse its card records issued after it.
"""

from __future__ import annotations

import pytest

from kiosk.domain.outcomes import CardRefused, CheckedIn
from kiosk.domain.registry import Registration
from kiosk.sim.wallet import issue_virtual_card, read_card
from kiosk.store.sqlite import iter_events
from kiosk.testing.taps import tap
from tests.county.test_county import county_cli
from tests.security.test_f07_forged_roster import real_county_and_two_stations, sync


@pytest.fixture
def county_and_two_stations(tmp_path, clock):
    yield from real_county_and_two_stations(tmp_path, clock)


def register_with_card(core, name: str, uid: str):
    resident = core.registry.register(Registration(name, "1990-01-01", "东湾村", consent=True),
                                      by="tech-a")
    return resident, issue_virtual_card(core, "resident", resident.id, bytes.fromhex(uid), "cpu")


def test_f08_revoked_station_is_not_served_and_its_new_cards_are_refused(
        county_and_two_stations, clock, tmp_path):
    cores, paths, _log = county_and_two_stations
    a, b = cores["station-a"], cores["station-b"]
    _trusted, trusted_card = register_with_card(a, "王秀华", "04A1B2C3")
    sync(paths["station-a"])
    sync(paths["station-b"])
    # A's key is stolen: what it pushes from now on is suspect, and B has not pulled it yet
    suspect, suspect_card = register_with_card(a, "李明", "04A1B2C4")
    sync(paths["station-a"])
    trusted = next(e.seq for e in iter_events(a.db) if e.type == "resident.registered"
                   and e.payload["id"] == suspect.id) - 1

    output = county_cli(tmp_path / "county", "revoke", "--station", "station-a",
                        "--trusted-seq", str(trusted))
    assert "revoked station-a" in output
    sync(paths["station-b"])

    refused = tap(b, read_card(suspect_card, b))  # the county will not look her card up
    assert isinstance(refused, CardRefused) and refused.reason == "revoked"
    assert b.db.execute("SELECT COUNT(*) FROM residents WHERE id = ?",
                        (suspect.id,)).fetchone()[0] == 0
    revoked_at = b.db.execute("SELECT revoked_at FROM remote_stations WHERE station_id = "
                              "'station-a'").fetchone()[0]
    assert revoked_at
    applied = [e for e in iter_events(b.db) if e.type == "roster.applied"][-1].payload
    assert "station-a" in applied["stations"]  # the revocation is in B's signed log

    # a card record signed with A's key after the revocation is refused at B
    clock.advance(days=30)  # past the revocation (the county's real clock)
    _late, late_card = register_with_card(a, "赵敏", "04A1B2C5")
    refused = tap(b, read_card(late_card, b))
    assert isinstance(refused, CardRefused) and refused.reason == "unknown_issuer"
    # her card from before the revocation still works: she did nothing wrong
    outcome = tap(b, read_card(trusted_card, b))
    assert isinstance(outcome, CheckedIn) and not outcome.visitor_card


def test_f08_county_keeps_back_a_revoked_stations_entries(county_and_two_stations,
                                                           tmp_path):
    cores, paths, _log = county_and_two_stations
    a = cores["station-a"]
    register_with_card(a, "王秀华", "04A1B2C3")
    sync(paths["station-a"])
    from kiosk.county.bootstrap import open_store_at as open_store
    from kiosk.county.bootstrap import system_clock, wire
    from kiosk.keys import load_key_file
    store = open_store(str(tmp_path / "county" / "county.db"))
    county = wire(store, load_key_file(tmp_path / "county" / "county.key"), system_clock())
    flagged = county.stations.revoke("station-a", trusted_seq=2).flagged
    assert flagged == list(range(3, store.head_of("station-a") + 1))
    output = county_cli(tmp_path / "county", "revoke", "--station", "station-a",
                        "--trusted-seq", "1")
    assert "ALERT flagged for review" in output and "seq 2.." in output
    rows, _next = store.follow({}, 1000, exclude="station-b")
    assert rows == []  # nothing of station-a is served any more
    assert store.revocations().keys() == {"station-a"}
