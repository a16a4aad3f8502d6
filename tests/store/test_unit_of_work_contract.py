"""The UnitOfWork port: one contract run against the in-memory fake the domain tests use and
the SQLite unit of work the station runs on."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.adapters.clock import FakeClock
from kiosk.domain.model import CheckIn, Resident
from kiosk.domain.unit_of_work import EventFactory
from kiosk.keys import StationKey
from kiosk.store.database import open_database
from kiosk.store.memory import MemoryState, MemoryUnitOfWork
from kiosk.store.sqlite import SqliteUnitOfWork

DAY = "2026-11-28"


@pytest.fixture(params=["memory", "sqlite"])
def new_uow(request, tmp_path):
    clock = FakeClock(dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.UTC))
    factory = EventFactory("st-1", StationKey(Ed25519PrivateKey.generate()), clock)
    if request.param == "memory":
        state = MemoryState()
        yield lambda: MemoryUnitOfWork(state, factory)
        return
    db = open_database(tmp_path / "kiosk.db")
    lock = threading.RLock()
    yield lambda: SqliteUnitOfWork(db, factory, lock)
    db.conn.close()


def _check_in(uow, n: int) -> CheckIn:
    uow.residents.add(Resident(f"r{n}", "王秀华"))
    checkin = CheckIn(f"c{n}", f"r{n}", "st-1", DAY, uow.checkins.next_queue_no("st-1", DAY),
                      f"{DAY}T01:0{n}:00+00:00")
    uow.checkins.add(checkin)
    return checkin


def test_a_committed_change_and_its_event_are_kept_together(new_uow):
    with new_uow() as uow:
        uow.residents.add(Resident("r1", "王秀华"))
        event = uow.record("resident.registered", {"id": "r1"})
        uow.commit()
    with new_uow() as uow:
        assert uow.residents.get("r1").name == "王秀华"
        assert uow.events.head().seq == event.seq == 1
        assert uow.events.head().hash == event.hash


def test_leaving_without_commit_keeps_neither_state_nor_event(new_uow):
    with new_uow() as uow:
        uow.residents.add(Resident("r1", "王秀华"))
        uow.record("resident.registered", {"id": "r1"})
    with new_uow() as uow:
        assert uow.residents.get("r1") is None
        assert uow.events.head().seq == 0


def test_events_chain_across_units_of_work(new_uow):
    heads = []
    for n in (1, 2):
        with new_uow() as uow:
            event = uow.record("demo.step", {"n": n})
            uow.commit()
            heads.append(event)
    assert [e.seq for e in heads] == [1, 2]
    assert heads[1].prev_hash == heads[0].hash


def test_queue_numbers_count_up_per_day_and_station(new_uow):
    with new_uow() as uow:
        first, second = _check_in(uow, 1), _check_in(uow, 2)
        uow.commit()
    assert (first.queue_no, second.queue_no) == (1, 2)
    with new_uow() as uow:
        assert uow.checkins.for_resident_on("r2", DAY).id == "c2"
        assert uow.checkins.next_queue_no("st-1", "2026-11-29") == 1
