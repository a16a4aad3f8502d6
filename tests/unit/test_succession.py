"""Key successions and sealed boxes, without HTTP (issue 14): the county's key schedule, the
restore's chain check, and backups only their recipient opens."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.adapters.clock import FakeClock
from kiosk.domain.chain import verify_chain
from kiosk.domain.events import ChainHead
from kiosk.domain.unit_of_work import EventFactory
from kiosk.errors import ProtocolError
from kiosk.keys import StationKey
from kiosk.protocol.sealed import open_sealed, seal, seal_to_ed25519, x25519_public_from_ed25519
from kiosk.protocol.succession import (
    RESTORED,
    ChainFollower,
    KeySchedule,
    sign_succession,
    succession_body,
    verify_succession,
)
from kiosk.protocol.sync import Accepted, RejectedBatch, judge


def key() -> StationKey:
    return StationKey(Ed25519PrivateKey.generate())


def chain(old: StationKey, new: StationKey, county: StationKey, before: int = 4, after: int = 3):
    """Events 1..before by the old key (1: station.initialized), a station.restored, then more."""
    events, head = [], ChainHead()
    succession = sign_succession(succession_body("st-1", old.public_bytes().hex(),
                                                 new.public_bytes().hex(), "2026-12-01T00:00:00Z"),
                                 county)
    for n in range(before + 1 + after):
        signer = old if n < before else new
        type_, payload = "test.thing", {"n": n}
        if n == 0:
            type_, payload = "station.initialized", {"public_key": old.public_bytes().hex()}
        if n == before:
            type_, payload = RESTORED, {"public_key": new.public_bytes().hex(),
                                        "previous_key": old.public_bytes().hex(),
                                        "succession": succession}
        event = EventFactory("st-1", signer, FakeClock()).next(head, type_, payload)
        events.append(event)
        head = ChainHead(event.seq, event.hash)
    return events


def test_the_county_judges_each_event_with_its_key():
    old, new, county = key(), key(), key()
    events = chain(old, new, county)
    pending = KeySchedule(old.public_bytes().hex(), pending=new.public_bytes().hex())
    verdict = judge("st-1", events, pending, ChainHead(), lambda seq: None)
    assert isinstance(verdict, Accepted) and len(verdict.new) == len(events)
    taken = KeySchedule(old.public_bytes().hex(), [(5, new.public_bytes().hex())])
    forged = EventFactory("st-1", old, FakeClock()).next(ChainHead(7, events[-2].hash), "x", {})
    refused = judge("st-1", [forged], taken, ChainHead(7, events[-2].hash), lambda seq: None)
    assert isinstance(refused, RejectedBatch)  # the old key extends the chain no more
    no_succession = KeySchedule(old.public_bytes().hex())
    assert isinstance(judge("st-1", events, no_succession, ChainHead(), lambda s: None),
                      RejectedBatch)


def test_the_restore_follows_only_successions_the_county_signed():
    old, new, county = key(), key(), key()
    follower = ChainFollower("st-1", county.public)
    for event in chain(old, new, county):
        follower.check(event)
    assert follower.key_hex == new.public_bytes().hex()
    impostor = ChainFollower("st-1", key().public)  # another county key
    with pytest.raises(ProtocolError):
        for event in chain(old, new, county):
            impostor.check(event)
    report = verify_chain(chain(old, new, county), old.public, "st-1",
                          trusted=lambda s: verify_succession(s, county.public) is not None)
    assert report.ok and report.key is not None


def test_sealed_boxes_open_only_for_their_recipient():
    recipient = key()
    x_public = recipient.x25519().public_key().public_bytes(serialization.Encoding.Raw,
                                                             serialization.PublicFormat.Raw)
    assert x25519_public_from_ed25519(recipient.public_bytes()) == x_public  # libsodium's map
    blob = seal_to_ed25519("王秀华的记录".encode() * 100, recipient.public_bytes().hex(), "test")
    assert "王秀华".encode() not in blob
    assert open_sealed(blob, recipient.x25519(), "test") == "王秀华的记录".encode() * 100
    with pytest.raises(ProtocolError):
        open_sealed(blob, key().x25519(), "test")
    with pytest.raises(ProtocolError):  # the purpose is bound into the box, though not written
        open_sealed(blob, recipient.x25519(), "other")
    altered = bytearray(seal(b"data", x_public, b"test"))
    altered[-1] ^= 1
    with pytest.raises(ProtocolError):
        open_sealed(bytes(altered), recipient.x25519(), "test")
