"""A county app on SQLite with one enrolled station, for the county API findings."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.keys import StationKey


@pytest.fixture
def county_app(tmp_path):
    """(store, test client, county key, station key) with station ``st-1`` enrolled."""
    from kiosk.county.bootstrap import county_app
    from kiosk.county.bootstrap import open_store_at as open_store
    store = open_store(str(tmp_path / "county.db"))
    county_key, station_key = (StationKey(Ed25519PrivateKey.generate()) for _ in range(2))
    store.enroll("st-1", station_key.public_bytes().hex(), "2026-11-29T00:00:00+00:00")
    yield store, county_app(store, county_key).test_client(), county_key, station_key
    store.close()
