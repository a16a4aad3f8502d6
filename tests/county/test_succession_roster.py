"""After `kiosk-county replace`, the other stations still honour the cards the station's old key
issued (the roster page carries its former keys), and the old key can no longer extend the
station's chain once the successor's first event is stored (issue 14)."""

from __future__ import annotations

import pytest

from kiosk.domain.outcomes import CheckedIn
from kiosk.domain.registry import Registration
from kiosk.keys import StationKey
from kiosk.sim.wallet import issue_virtual_card, read_card
from kiosk.testing.taps import tap
from tests.county.test_county import county_cli
from tests.county.test_roster import county_and_stations, sync


@pytest.fixture
def two_stations(tmp_path, clock, county_database):
    yield from county_and_stations(tmp_path, clock, county_database)


def test_old_cards_still_check_in_at_other_stations_after_a_replace(two_stations, county_database):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    cores, paths, data_dir = two_stations
    a, b = cores["station-a"], cores["station-b"]
    resident = a.registry.register(Registration("李秀英", "1988-05-02", "东湾村", consent=True),
                                   by="tech-a")
    card = issue_virtual_card(a, "resident", resident.id, bytes.fromhex("04C1C2C3"), "cpu")
    sync(paths["station-a"])
    successor = StationKey(Ed25519PrivateKey.generate())  # station A's card died
    county_cli(data_dir, "replace", "--station", "station-a", "--pubkey",
               successor.public_bytes().hex(), database=county_database)
    sync(paths["station-b"])  # B learns A's new key, and the one before it
    outcome = tap(b, read_card(card, b))  # looked up at the county (issue 24)
    assert isinstance(outcome, CheckedIn) and not outcome.visitor_card, outcome
    assert b.db.execute("SELECT COUNT(*) FROM remote_former_keys").fetchone()[0] == 1
