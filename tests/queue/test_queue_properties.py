"""Random days of check-ins, calls, no-shows, returns and priorities from several rooms.

Checked on the queue service over the in-memory unit of work: nobody is called twice at
once, nobody waiting is skipped except by priority or the return rule, and replaying the
signed events rebuilds exactly the same queue.
"""

import datetime as dt

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.adapters.clock import FakeClock
from kiosk.domain.calling import QueueService, Room
from kiosk.domain.model import CheckIn
from kiosk.domain.queue import CALLED, IN_SERVICE, QueueRefused, new_entry, replay
from kiosk.domain.unit_of_work import EventFactory
from kiosk.keys import StationKey
from kiosk.store.memory import MemoryState, MemoryUnitOfWork

ROOMS = (Room("room1", "诊室1"), Room("room2", "诊室2"), Room("lab", "化验室"))
DATE = "2026-12-01"
step = st.one_of(
    st.just(("checkin",)),
    st.tuples(st.just("call_next"), st.sampled_from([r.id for r in ROOMS])),
    st.tuples(st.sampled_from(["recall", "start", "done", "no_show", "put_back", "prioritise"]),
              st.integers(0, 30)),
)


def world():
    clock = FakeClock(dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC))
    state = MemoryState()
    factory = EventFactory("st-1", StationKey(Ed25519PrivateKey.generate()), clock)
    service = QueueService(lambda: MemoryUnitOfWork(state, factory), clock, "Asia/Shanghai",
                           ROOMS, return_after=2)
    return service, state, clock, factory


def check_in(state, factory, n):
    uow = MemoryUnitOfWork(state, factory)
    with uow:
        cid = f"c{n}"
        uow.checkins.add(CheckIn(cid, f"r{n}", "st-1", DATE, n, "2026-12-01T01:00:00+00:00"))
        uow.queue.add(new_entry(cid, DATE, n))
        uow.record("checkin.created", {"checkin_id": cid, "resident_id": f"r{n}",
                                       "local_date": DATE, "queue_no": n, "card_no": None})
        uow.commit()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=60))
def test_random_days_keep_the_rules_and_replay_exactly(steps):
    service, state, clock, factory = world()
    count = 0
    for action in steps:
        clock.advance(seconds=37)
        if action[0] == "checkin":
            count += 1
            check_in(state, factory, count)
            continue
        if action[0] == "call_next":
            line = [e for e in service.day(MemoryUnitOfWork(state, factory).__enter__()).waiting()]
            try:
                move = service.call_next(action[1], "t1")
            except QueueRefused:
                assert not line
                continue
            # the first of the line is called: priority first, then the line's own order
            assert move.entry.checkin_id == line[0].checkin_id
            prior = [e for e in line if e.priority]
            if prior:
                assert move.entry.queue_no == min(e.queue_no for e in prior)
            continue
        if not count:
            continue
        target = f"c{action[1] % count + 1}"
        try:
            getattr(service, action[0])(target, "t1")
        except QueueRefused:
            pass
    entries = list(state.queue.values())
    active = [e for e in entries if e.state in (CALLED, IN_SERVICE)]
    assert len({e.checkin_id for e in active}) == len(active)
    assert all(e.room for e in active)  # every called entry is called to exactly one room
    rebuilt = replay(state.events, DATE, return_after=2)
    assert rebuilt.entries == {e.checkin_id: e for e in entries}
    assert [e.checkin_id for e in rebuilt.waiting()] == [
        e.checkin_id for e in service.day(MemoryUnitOfWork(state, factory).__enter__()).waiting()]


def test_waiting_entries_are_called_in_checkin_order_without_priority_or_returns():
    service, state, clock, factory = world()
    for n in range(1, 6):
        check_in(state, factory, n)
    called = [service.call_next(ROOMS[n % 3].id, "t1").entry.queue_no for n in range(5)]
    assert called == [1, 2, 3, 4, 5]


def test_day_end_closes_yesterdays_unfinished_entries_once():
    service, state, clock, factory = world()
    for n in range(1, 4):
        check_in(state, factory, n)
    service.call_next("room1", "t1")
    clock.advance(days=1)
    moves = service.close_past_days()
    assert [m.entry.queue_no for m in moves] == [1, 2, 3]
    assert [e.type for e in state.events[-3:]] == ["queue.not_served"] * 3
    assert service.close_past_days() == []
    assert replay(state.events, DATE, 2).entries == {e.checkin_id: e for e in state.queue.values()}
