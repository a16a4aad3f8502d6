"""The county checks a push's signatures before its one writer takes the batch (on the request
thread), and the writer trusts that check only while the station's keys are the ones it was
made with: a key replaced or a succession enrolled in between means the batch is checked again."""

from __future__ import annotations

from dataclasses import replace

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.adapters.clock import FakeClock
from kiosk.county.domain.intake import Checked, Refused, Stored, check, decide
from kiosk.county.domain.successions import Succession
from kiosk.domain.events import ChainHead
from kiosk.domain.unit_of_work import EventFactory
from kiosk.keys import StationKey


def signed_batch(signer: StationKey, count: int = 3):
    events, head = [], ChainHead()
    for n in range(count):
        event = EventFactory("st-1", signer, FakeClock()).next(head, "test.thing", {"n": n})
        events.append(event)
        head = ChainHead(event.seq, event.hash)
    return events


def decide_now(events, enrolled: str, checked: Checked | None, successions=()):
    return decide("st-1", events, enrolled, list(successions), ChainHead(), lambda seq: None,
                  checked)


def test_a_batch_checked_under_the_same_keys_is_stored_without_a_second_check():
    station = StationKey(Ed25519PrivateKey.generate())
    events = signed_batch(station)
    enrolled = station.public_bytes().hex()
    checked = check("st-1", events, enrolled, [])
    assert checked.problem is None
    outcome = decide_now(events, enrolled, checked)
    assert isinstance(outcome, Stored) and [e.seq for e in outcome.new] == [1, 2, 3]
    # the writer believes a check made under the keys it reads: a problem found stays found
    said_wrong = Checked(checked.keys_from, "event 2: signature is not valid for the station key")
    assert decide_now(events, enrolled, said_wrong) == Refused(said_wrong.problem)


def test_a_check_made_under_other_keys_is_made_again():
    old = StationKey(Ed25519PrivateKey.generate())
    new = StationKey(Ed25519PrivateKey.generate())
    events = signed_batch(old)
    checked = check("st-1", events, old.public_bytes().hex(), [])
    assert checked.problem is None
    # the station's key was replaced between the check and the writer: the old signatures fail
    outcome = decide_now(events, new.public_bytes().hex(), checked)
    assert isinstance(outcome, Refused) and "signature" in outcome.reason
    # a succession enrolled in between changes the keys too: checked again (and sound here)
    pending = Succession(new.public_bytes().hex(), old.public_bytes().hex(),
                         "2026-12-01T00:00:00Z", "00", None)
    assert isinstance(decide_now(events, old.public_bytes().hex(), checked, [pending]), Stored)


def test_an_altered_event_is_refused_by_the_check_itself():
    station = StationKey(Ed25519PrivateKey.generate())
    events = signed_batch(station)
    events[1] = replace(events[1], payload={"n": 99})
    checked = check("st-1", events, station.public_bytes().hex(), [])
    assert checked.problem == "event 2: content does not match its hash (altered)"
    assert decide_now(events, station.public_bytes().hex(), checked) == Refused(checked.problem)
