"""The unit of work's queue repository: the same contract on the in-memory fake and SQLite."""

from __future__ import annotations

from dataclasses import replace

from kiosk.domain.queue import CALLED, NOT_SERVED, new_entry
from tests.store.test_unit_of_work_contract import DAY, _check_in, new_uow  # noqa: F401


def test_entries_are_added_saved_and_read_by_day(new_uow):  # noqa: F811
    with new_uow() as uow:
        for n in (1, 2):
            checkin = _check_in(uow, n)
            uow.queue.add(new_entry(checkin.id, DAY, checkin.queue_no))
        uow.commit()
    with new_uow() as uow:
        first, second = uow.queue.day(DAY)
        uow.queue.save(replace(first, state=CALLED, room="room1", called_at="x", priority=True))
        uow.commit()
    with new_uow() as uow:
        entries = uow.queue.day(DAY)
        assert [e.queue_no for e in entries] == [1, 2]
        assert (entries[0].state, entries[0].room, entries[0].priority) == (CALLED, "room1", True)
        assert uow.queue.day("2026-11-29") == []
        assert uow.queue.open_dates_before("2026-11-29") == [DAY]
        assert uow.queue.open_dates_before(DAY) == []
        for entry in entries:
            uow.queue.save(replace(entry, state=NOT_SERVED))
        uow.commit()
    with new_uow() as uow:
        assert uow.queue.open_dates_before("2026-11-29") == []


def test_an_entry_rolled_back_is_not_kept(new_uow):  # noqa: F811
    with new_uow() as uow:
        checkin = _check_in(uow, 1)
        uow.queue.add(new_entry(checkin.id, DAY, 1))
    with new_uow() as uow:
        assert uow.queue.day(DAY) == []
