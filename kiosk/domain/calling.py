"""The queue service: staff moves on today's queue, each with its signed event.

Every move loads the day's queue inside one unit of work (one SQLite transaction behind
the station's write lock), applies the pure rule of kiosk.domain.queue, saves the changed
entry and appends its event, so two technicians pressing "call next" at once are served
one after the other and get two different people.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.domain.model import local_date
from kiosk.domain.queue import DayQueue, Move, QueueRefused
from kiosk.domain.unit_of_work import Clock, UnitOfWork
from kiosk.domain.validation import N_


@dataclass(frozen=True)
class Room:
    """A service point that calls from the day's single queue (诊室1, 化验室, ...)."""

    id: str
    name: str


class QueueService:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Clock, timezone: str,
                 rooms: tuple[Room, ...], return_after: int = 2):
        self.uow_factory, self.clock, self.timezone = uow_factory, clock, timezone
        self.rooms, self.return_after = rooms, return_after

    def today(self) -> str:
        return local_date(self.clock.now(), self.timezone).isoformat()

    def _now(self) -> str:
        return self.clock.now().astimezone(dt.UTC).isoformat(timespec="microseconds")

    def room(self, room_id: str) -> Room:
        found = next((r for r in self.rooms if r.id == room_id), None)
        if found is None:
            raise QueueRefused(N_("Choose one of the station's rooms"))
        return found

    def day(self, uow: UnitOfWork, date: str | None = None) -> DayQueue:
        return DayQueue(uow.queue.day(date or self.today()))

    def _move(self, action: Callable[[DayQueue, str], Move]) -> Move:
        with self.uow_factory() as uow:
            move = action(self.day(uow), self._now())
            uow.queue.save(move.entry)
            uow.record(move.event_type, move.payload)
            uow.commit()
        return move

    def call_next(self, room_id: str, by: str) -> Move:
        room = self.room(room_id).id
        return self._move(lambda day, at: day.call_next(room, at, by))

    def recall(self, checkin_id: str, by: str) -> Move:
        return self._move(lambda day, at: day.recall(checkin_id, at, by))

    def start(self, checkin_id: str, by: str) -> Move:
        return self._move(lambda day, at: day.start(checkin_id, at, by))

    def done(self, checkin_id: str, by: str) -> Move:
        return self._move(lambda day, at: day.done(checkin_id, at, by))

    def no_show(self, checkin_id: str, by: str) -> Move:
        return self._move(lambda day, at: day.no_show(checkin_id, at, by))

    def put_back(self, checkin_id: str, by: str) -> Move:
        return self._move(lambda day, at: day.put_back(checkin_id, self.return_after, at, by))

    def prioritise(self, checkin_id: str, by: str) -> Move:
        return self._move(lambda day, at: day.prioritise(checkin_id, at, by))

    def close_past_days(self) -> list[Move]:
        """Close earlier days' unfinished entries as not served (one event each); run at
        start and whenever the local day may have turned."""
        today, moves = self.today(), []
        with self.uow_factory() as uow:
            for date in uow.queue.open_dates_before(today):
                for move in self.day(uow, date).close_day(self._now()):
                    uow.queue.save(move.entry)
                    uow.record(move.event_type, move.payload)
                    moves.append(move)
            if moves:
                uow.commit()
        return moves
