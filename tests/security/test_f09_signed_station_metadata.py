"""Finding 9: only a push the station signed may set the county's view of that station
(last sync, clock offset, backlog); a replayed batch with made-up headers changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import threading

from kiosk.protocol.sync import push_headers
from tests.unit.test_events import make_chain

NOW = dt.datetime(2026, 11, 29, 3, 0, tzinfo=dt.UTC)


class FixedClock:
    """The county's clock, read from a list the test moves."""

    def __init__(self, now: list):
        self._now = now

    def now(self) -> dt.datetime:
        return self._now[0]


def _county(tmp_path, now):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kiosk.county.bootstrap import county_app
    from kiosk.county.bootstrap import open_store_at as open_store
    from kiosk.keys import StationKey
    store = open_store(str(tmp_path / "county.db"))
    county_key, station_key = (StationKey(Ed25519PrivateKey.generate()) for _ in range(2))
    store.enroll("st-1", station_key.public_bytes().hex(), "2026-11-29T00:00:00+00:00")
    return store, county_app(store, county_key, clock=FixedClock(now)), station_key


def _post(client, body: bytes, headers: dict):
    return client.post("/api/v1/stations/st-1/events", data=body,
                       content_type="application/json", headers=headers)


def test_f09_station_metadata_only_from_signed_requests(tmp_path):
    now = [NOW]
    store, app, station_key = _county(tmp_path, now)
    client = app.test_client()
    events = make_chain(station_key, 3)
    body = json.dumps({"events": [vars(e) for e in events]}).encode()
    signed = push_headers("st-1", body, "2026-11-29T03:00:10+00:00", 3, station_key)
    assert _post(client, body, signed).status_code == 200
    kept = store.station("st-1")
    assert (kept.clock_offset_s, kept.reported_head) == (10.0, 3)

    # an hour later: the stored batch again, with made-up, unsigned headers
    now[0] = NOW + dt.timedelta(hours=1)
    forged = {"X-Station-Time": "2026-11-29T01:00:00+00:00", "X-Station-Head": "900"}
    assert _post(client, body, forged).status_code == 200  # events are stored: a no-op
    # the same headers with a signature made for another body, and the old signed request
    assert _post(client, body, {**signed, "X-Station-Head": "900"}).status_code == 200
    other = json.dumps({"events": [vars(events[0])]}).encode()
    assert _post(client, body, push_headers("st-1", other, forged["X-Station-Time"], 900,
                                            station_key)).status_code == 200
    assert _post(client, body, signed).status_code == 200  # replayed an hour late
    assert store.station("st-1") == kept

    fresh = push_headers("st-1", body, "2026-11-29T04:00:05+00:00", 7, station_key)
    assert _post(client, body, fresh).status_code == 200
    assert store.station("st-1").reported_head == 7
    # a station whose clock is far ahead still reports; an older request after it does not
    ahead = push_headers("st-1", body, "2026-11-29T06:00:00+00:00", 8, station_key)
    assert _post(client, body, ahead).status_code == 200
    assert store.station("st-1").clock_offset_s == 7200.0
    assert _post(client, body, push_headers("st-1", body, "2026-11-29T05:00:00+00:00", 9,
                                            station_key)).status_code == 200
    assert store.station("st-1").reported_head == 8


def test_f09_the_station_signs_its_pushes_over_http(tmp_path):
    from werkzeug.serving import make_server

    from kiosk.adapters.county import HttpCountyLink
    store, app, station_key = _county(tmp_path, [dt.datetime.now(dt.UTC)])
    server = make_server("127.0.0.1", 0, app)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        HttpCountyLink(url, signer=station_key).push("st-1", make_chain(station_key, 2), head=5)
    finally:
        server.shutdown()
    assert store.station("st-1").reported_head == 5
