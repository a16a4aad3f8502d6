"""The county's card relay (POST /api/v1/card-auth/begin, /finish) through the Flask app: a
signed request from an enrolled station authenticates a virtual DESFire card of another
township, and nothing else gets anywhere: unsigned, stale, another station's token, the
card's master key, malformed bodies (400, never 500), a station over its rate (429), a county
without a card key (404). No UID in the county's log."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.adapters import desfire_io
from kiosk.adapters.card_access import CardAccess
from kiosk.adapters.clock import FakeClock
from kiosk.config.card_keys import keyring_for
from kiosk.county.bootstrap import county_app, open_store_at
from kiosk.keys import StationKey
from kiosk.protocol.card_relay import BEGIN, FINISH, request_headers
from kiosk.protocol.desfire import Session
from kiosk.sim.virtual_desfire import DesfireCard
from kiosk.testing.cards import COUNTY_CARD_KEY

UID = bytes.fromhex("04A1B2C3D4E5F6")
NOW = dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def county(tmp_path):
    store = open_store_at(str(tmp_path / "county.db"), FakeClock(NOW))
    stations = {name: StationKey(Ed25519PrivateKey.generate()) for name in ("cg-01", "xq-01")}
    for name, key in stations.items():
        store.enroll(name, key.public_bytes().hex(), NOW.isoformat())
    client = county_app(store, StationKey(Ed25519PrivateKey.generate()), FakeClock(NOW),
                        card_key=COUNTY_CARD_KEY).test_client()
    yield client, stations
    store.close()


def xiqiao_card() -> DesfireCard:
    card = DesfireCard(UID)
    desfire_io.personalise(card.respond, UID, CardAccess(keyring=keyring_for(COUNTY_CARD_KEY,
                                                                             "xiqiao")))
    card.reset()
    assert desfire_io.select(card.respond)
    return card


def post(client, path, data, station="cg-01", key=None, when=NOW, raw=None):
    body = raw if raw is not None else json.dumps(data).encode()
    headers = request_headers(station, when.isoformat(), path, body, key)
    return client.post(path, data=body, headers=headers)


def test_a_station_authenticates_another_townships_card(county, caplog):
    client, keys = county
    caplog.set_level(logging.INFO, "kiosk.county")
    card = xiqiao_card()
    code, enc_rnd_b = desfire_io.exchange(card.respond, 0x71, b"\x01\x00")
    begun = post(client, BEGIN, {"township": "xiqiao", "version": 1, "uid": UID.hex(),
                                 "key_no": 1, "enc_rnd_b": enc_rnd_b.hex()}, key=keys["cg-01"])
    assert begun.status_code == 200, begun.json
    code, last = desfire_io.exchange(card.respond, 0xAF, bytes.fromhex(begun.json["answer"]))
    assert code == 0
    other = post(client, FINISH, {"token": begun.json["token"], "card_answer": last.hex()},
                 station="xq-01", key=keys["xq-01"])
    assert other.status_code == 403  # a token is its station's own
    done = post(client, FINISH, {"token": begun.json["token"], "card_answer": last.hex()},
                key=keys["cg-01"])
    assert done.status_code == 200, done.json
    session = Session(*(bytes.fromhex(done.json[k]) for k in ("ti", "enc", "mac")))
    assert desfire_io.card_uid(card.respond, session) == UID  # the session works on the card
    again = post(client, FINISH, {"token": begun.json["token"], "card_answer": last.hex()},
                 key=keys["cg-01"])
    assert again.status_code == 403  # spent
    assert "cg-01, a card of xiqiao (key version 1): authenticated" in caplog.text
    assert UID.hex() not in caplog.text.lower()


def test_what_the_relay_refuses(county):
    client, keys = county
    good = {"township": "xiqiao", "version": 1, "uid": UID.hex(), "key_no": 1,
            "enc_rnd_b": "00" * 16}
    assert post(client, BEGIN, {**good, "key_no": 0}, key=keys["cg-01"]).status_code == 403
    stranger = StationKey(Ed25519PrivateKey.generate())
    assert post(client, BEGIN, good, key=stranger).status_code == 403  # bad signature
    assert post(client, BEGIN, good, station="nobody", key=stranger).status_code == 403
    assert post(client, BEGIN, good, key=keys["cg-01"],
                when=NOW - dt.timedelta(minutes=10)).status_code == 403  # stale
    for bad in ({**good, "uid": "zz"}, {**good, "version": "1"}, {**good, "version": True},
                {**good, "enc_rnd_b": "00"}, {"township": "xiqiao"}, [], "x"):
        assert post(client, BEGIN, bad, key=keys["cg-01"]).status_code == 400, bad
    assert post(client, BEGIN, None, raw=b"\xff{", key=keys["cg-01"]).status_code == 400
    assert post(client, BEGIN, None, raw=b"x" * 5000, key=keys["cg-01"]).status_code == 413
    assert post(client, FINISH, {"token": "t", "card_answer": "00" * 32},
                key=keys["cg-01"]).status_code == 403
    codes = [post(client, BEGIN, good, station="xq-01", key=keys["xq-01"]).status_code
             for _ in range(25)]
    assert codes[:20] == [200] * 20 and set(codes[20:]) == {429}  # burst of 20, then the rate


def test_no_card_key_no_relay(tmp_path):
    store = open_store_at(str(tmp_path / "county.db"), FakeClock(NOW))
    station = StationKey(Ed25519PrivateKey.generate())
    store.enroll("cg-01", station.public_bytes().hex(), NOW.isoformat())
    client = county_app(store, StationKey(Ed25519PrivateKey.generate()), FakeClock(NOW)).test_client()
    assert client.post(BEGIN, data=b"{}").status_code == 403  # a stranger learns nothing
    assert post(client, BEGIN, {}, key=station).status_code == 404  # a station: no card key
    store.close()
