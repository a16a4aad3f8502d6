"""Finding N14 and what was left of old 6 (issue 23): the county read numbers with
``str.isdigit`` and ``int``, so ``?after=²`` (a digit to Python, no number to ``int``) and a
20-digit ``after`` (too big for the database) answered 503 with a traceback in the log, on the
auditor's event browser and on the restore API; and the restore's ``limit`` (and the roster's
``v``) were not in the station's signature. Now every malformed number is 400 with one log
line, and a station signs every parameter (kiosk.protocol.station_requests)."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.keys import StationKey
from kiosk.protocol.station_requests import signed_request
from tests.county.conftest import CountyWeb

HOSTILE = ["²", "١٢", "１２", "12345678901234567890", str(10**30), "-1", "+1", " 1", "1.5", "",
           "0x10", "1\x00"]


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def no_traceback(caplog) -> None:
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    assert "Traceback" not in caplog.text


@pytest.fixture(scope="module")
def auditor(tmp_path_factory):
    web = CountyWeb(str(tmp_path_factory.mktemp("n14") / "county.db"))
    client = web.client("10.0.9.1")
    assert web.login(client, "aud").status_code == 302
    yield client
    web.store.close()


@pytest.mark.parametrize("value", HOSTILE)
def test_n14_the_event_browser_answers_400_to_a_malformed_after(auditor, caplog, value):
    with caplog.at_level(logging.INFO):
        response = auditor.get("/events/st-1", query_string={"after": value})
    assert response.status_code == 400, response.status_code
    no_traceback(caplog)


def test_n14_the_event_browser_still_pages(auditor):
    assert auditor.get("/events/st-1?after=5").status_code == 200
    assert auditor.get("/events/st-1?after=1&after=2").status_code == 400
    assert auditor.get("/audit?before=²").status_code == 400


def legacy_restore(station: str, after: str, key: StationKey) -> dict[str, str]:
    """The headers a station of an older release sent: a signature over its after alone."""
    time = now()
    message = b"kiosk-restore-request-v1\x00" + f"{station}\n{after}\n{time}".encode()
    return {"X-Station-Time": time, "X-Station-Signature": key.sign(message).hex()}


def legacy_roster(station: str, after: str, key: StationKey) -> dict[str, str]:
    time = now()
    message = b"kiosk-roster-request-v1\x00" + f"{station}\n{after}\n{time}".encode()
    return {"X-Station-Id": station, "X-Station-Time": time,
            "X-Station-Signature": key.sign(message).hex()}


@pytest.fixture
def successor(county_app):
    """The county app with st-1 waiting for its successor key (which may restore)."""
    store, client, county_key, station_key = county_app
    new = StationKey(Ed25519PrivateKey.generate())
    client.application.extensions["county"].stations.replace_key("st-1",
                                                                 new.public_bytes().hex())
    return client, new


@pytest.mark.parametrize("after", ["²", str(10**30), "99999999999999999999"])
def test_n14_the_restore_api_answers_400_to_a_malformed_after(successor, caplog, after):
    client, new = successor
    with caplog.at_level(logging.INFO):
        response = client.get(f"/api/v1/stations/st-1/restore?after={after}&limit=10",
                              headers=legacy_restore("st-1", after, new))
    assert response.status_code == 400 and response.json["error"] == "malformed"
    no_traceback(caplog)


def test_n14_the_restore_limit_is_signed(successor):
    client, new = successor
    path = "/api/v1/stations/st-1/restore"
    target, headers = signed_request("st-1", "GET", path, {"after": "0", "limit": "10"}, now(),
                                     new)
    assert client.get(target, headers=headers).status_code == 200
    for changed in ("after=0&limit=5000", "after=0", "after=0&limit=10&x=1"):
        assert client.get(f"{path}?{changed}", headers=headers).status_code == 403, changed
    # An older release's signature covers after alone: its limit would ride along unsigned.
    assert client.get(f"{path}?after=0&limit=5000",
                      headers=legacy_restore("st-1", "0", new)).status_code == 403


def test_n14_the_roster_version_is_signed(county_app):
    _store, client, _county_key, station = county_app
    target, headers = signed_request("st-1", "GET", "/api/v1/roster", {"after": "", "v": "2"},
                                     now(), station)
    assert client.get(target, headers=headers).status_code == 200
    for changed in ("after=&v=1", "after=", "after=0&v=2", "after=&v=2&limit=1"):
        assert client.get(f"/api/v1/roster?{changed}", headers=headers).status_code in (400, 403)
    # A station of the first roster version signs its after, its only parameter: still served,
    assert client.get("/api/v1/roster?after=0",
                      headers=legacy_roster("st-1", "0", station)).status_code == 200
    # but not with a parameter its signature does not cover.
    assert client.get("/api/v1/roster?after=0&v=2",
                      headers=legacy_roster("st-1", "0", station)).status_code == 403
    response = client.get("/api/v1/roster?after=0&v=3", headers=legacy_roster("st-1", "0", station))
    assert response.status_code == 400


def test_n14_a_query_on_an_endpoint_that_does_not_sign_one_is_refused(county_app):
    from tests.unit.test_events import make_chain
    _store, client, _county_key, station = county_app
    body = json.dumps({"events": [vars(e) for e in make_chain(station, 2)]})
    response = client.post("/api/v1/stations/st-1/events?head=9", data=body,
                           content_type="application/json")
    assert response.status_code == 400 and response.json["error"] == "malformed"
    response = client.post("/api/v1/stations/st-1/events", data=body,
                           content_type="application/json")
    assert response.status_code == 200


def test_n14_a_push_signed_over_absurd_headers_is_stored_without_a_traceback(county_app, caplog):
    """The push's parameters are its signed headers: a head of "²" or 30 digits, a time in
    year 9999, are a station's own (bad) word, not a reason to lose its batch."""
    from kiosk.protocol.sync import push_message
    from tests.unit.test_events import make_chain
    store, client, _county_key, station = county_app
    chain = make_chain(station, 3)
    asked = [("9999-12-31T23:59:59-14:00", "²"), ("9999-12-31T23:59:59-14:00", "9" * 30),
             ("0001-01-01T00:00:00+14:00", "-1")]
    with caplog.at_level(logging.INFO):
        for n, (time, head) in enumerate(asked, start=1):
            body = json.dumps({"events": [vars(e) for e in chain[:n]]}).encode()
            headers = {"X-Station-Time": time, "X-Station-Head": head, "X-Station-Signature":
                       station.sign(push_message("st-1", time, head, body)).hex()}
            response = client.post("/api/v1/stations/st-1/events", data=body, headers=headers,
                                   content_type="application/json")
            assert response.status_code == 200, response.json
    assert store.count("st-1") == 3
    no_traceback(caplog)
