"""The check-in rule, tested on the in-memory fakes (no SQLite, no hardware)."""

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.adapters.clock import FakeClock
from kiosk.domain.card_desk import CardDesk
from kiosk.domain.cards import uid_hash
from kiosk.domain.checkin import CheckInService
from kiosk.domain.model import Card, CarePlanItem, Resident
from kiosk.domain.outcomes import CheckedIn, UnknownCard
from kiosk.domain.unit_of_work import EventFactory
from kiosk.keys import StationKey, make_verifier
from kiosk.store.memory import MemoryState, MemoryUnitOfWork

UID_A, UID_B = bytes.fromhex("04a1b2c3"), bytes.fromhex("04112233445566")


@pytest.fixture
def world():
    clock = FakeClock(dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.UTC))
    state = MemoryState()
    state.residents = {"r1": Resident("r1", "王秀华"), "r2": Resident("r2", "李明")}
    state.cards = {uid_hash(UID_A): Card(uid_hash(UID_A), "r1"),
                   uid_hash(UID_B): Card(uid_hash(UID_B), "r2")}
    state.care_items = [CarePlanItem("c1", "r1", "prenatal", "mid-pregnancy check",
                                     "2026-11-25", "2026-12-01", "2026-12-08")]
    factory = EventFactory("st-1", StationKey(Ed25519PrivateKey.generate()), clock)
    key = factory.signer
    uow = lambda: MemoryUnitOfWork(state, factory)  # noqa: E731
    desk = CardDesk(uow, clock, "st-1", key, make_verifier({"st-1": key.public}),
                    legacy_uid_only=True)
    service = CheckInService(uow, clock, "st-1", "Asia/Shanghai", b"secret", desk)
    return service, state, clock


def test_first_tap_checks_in_with_number_and_event(world):
    service, state, _ = world
    outcome = service.handle_tap(UID_A)
    assert isinstance(outcome, CheckedIn) and not outcome.repeat
    assert (outcome.queue_no, outcome.masked_name, outcome.local_date) == (1, "王*华", "2026-11-28")
    assert outcome.follow_up.next_item.id == "c1"
    assert [e.type for e in state.events] == ["checkin.created"]
    assert state.events[0].payload["queue_no"] == 1


def test_second_tap_same_day_shows_same_checkin(world):
    service, state, clock = world
    first = service.handle_tap(UID_A)
    clock.advance(hours=3)
    again = service.handle_tap(UID_A)
    assert again.repeat and again.queue_no == first.queue_no and again.checkin_id == first.checkin_id
    assert len(state.checkins) == 1 and len(state.events) == 1


def test_queue_numbers_run_per_local_day(world):
    service, _, clock = world
    assert service.handle_tap(UID_A).queue_no == 1
    assert service.handle_tap(UID_B).queue_no == 2
    clock.advance(hours=15)  # 00:00 next day in Shanghai (16:00 UTC)
    tomorrow = service.handle_tap(UID_B)
    assert (tomorrow.queue_no, tomorrow.local_date, tomorrow.repeat) == (1, "2026-11-29", False)


def test_unknown_card_is_recorded_without_its_uid(world):
    service, state, _ = world
    uid = bytes.fromhex("deadbeef")
    outcome = service.handle_tap(uid)
    assert isinstance(outcome, UnknownCard)
    event = state.events[-1]
    assert event.type == "card.unknown"
    assert uid.hex() not in str(event.payload).lower() and event.payload["uid_length"] == 4
    assert service.handle_tap(uid).uid_fingerprint == outcome.uid_fingerprint


def test_revoked_card_is_not_accepted(world):
    service, state, _ = world
    state.cards[uid_hash(UID_A)] = Card(uid_hash(UID_A), "r1", status="revoked")
    assert isinstance(service.handle_tap(UID_A), UnknownCard)
