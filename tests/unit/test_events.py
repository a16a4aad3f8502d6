import dataclasses

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.adapters.clock import FakeClock
from kiosk.domain.chain import verify_chain
from kiosk.domain.events import GENESIS_HASH, ChainHead, canonical_json, check_event
from kiosk.domain.unit_of_work import EventFactory
from kiosk.keys import StationKey


@pytest.fixture
def key():
    return StationKey(Ed25519PrivateKey.generate())


def make_chain(key, n=5):
    factory = EventFactory("st-1", key, FakeClock())
    events, head = [], ChainHead()
    for i in range(n):
        event = factory.next(head, "test.thing", {"i": i, "name": "王秀华"})
        events.append(event)
        head = ChainHead(event.seq, event.hash)
    return events


def test_canonical_json_is_sorted_compact_utf8():
    assert canonical_json({"b": 1, "a": "王"}) == '{"a":"王","b":1}'.encode()


def test_canonical_json_rejects_floats():
    with pytest.raises(ValueError):
        canonical_json({"x": 1.5})


def test_events_chain_and_verify(key):
    events = make_chain(key)
    assert events[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert verify_chain(events, key.public, "st-1").ok


def test_altered_payload_is_named(key):
    events = make_chain(key)
    events[2] = dataclasses.replace(events[2], payload={"i": 99, "name": "王秀华"})
    report = verify_chain(events, key.public)
    assert [p.seq for p in report.problems] == [3]
    assert "altered" in report.problems[0].reason


def test_deleted_event_is_a_gap(key):
    events = make_chain(key)
    del events[1]
    report = verify_chain(events, key.public)
    assert report.problems[0].seq == 3
    assert "2 missing" in report.problems[0].reason


def test_reordered_pair_is_reported(key):
    events = make_chain(key)
    events[1], events[2] = events[2], events[1]
    report = verify_chain(events, key.public)
    assert {p.seq for p in report.problems} >= {3, 2}


def test_wrong_key_fails_signature(key):
    events = make_chain(key)
    other = StationKey(Ed25519PrivateKey.generate())
    assert "signature" in check_event(events[0], other.public)


def test_wrong_station_is_reported(key):
    report = verify_chain(make_chain(key, 1), key.public, "someone-else")
    assert "belongs to station" in report.problems[0].reason
