"""The day's queue (叫号): who waits, who is called to which room, who was served.

A check-in makes a waiting entry. Staff move it along one state machine:

    waiting -> called -> in_service -> done
    called  -> no_show  (nobody answered; penalty-free)
    no_show -> waiting  ("returned": after the next ``return_after`` waiting entries)
    waiting | called | in_service -> not_served  (the day ended first)

``DayQueue`` is pure: every operation checks the move, changes entries and says which
event describes it. The same operations applied to the events rebuild the same queue
(``replay``), which is how the station's state after a restart is checked against its log.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from kiosk.domain.validation import N_, Invalid

WAITING, CALLED, IN_SERVICE = "waiting", "called", "in_service"
DONE, NO_SHOW, NOT_SERVED = "done", "no_show", "not_served"
UNFINISHED = (WAITING, CALLED, IN_SERVICE)
RANK_STEP = 1 << 20  # room for twenty put-backs between two neighbours before ranks tie
MIN_SERVED_FOR_ESTIMATE = 3


class QueueRefused(Invalid):
    """A queue move that the state machine does not allow (``message`` is a msgid)."""

    def __init__(self, message: str):
        super().__init__("queue", message)


@dataclass(frozen=True)
class QueueEntry:
    """One check-in's place in the day's queue; ``rank`` orders the waiting line."""

    checkin_id: str
    local_date: str
    queue_no: int
    rank: int
    state: str = WAITING
    priority: bool = False
    room: str | None = None
    called_at: str | None = None
    started_at: str | None = None
    done_at: str | None = None


@dataclass(frozen=True)
class Move:
    """The outcome of one operation: the changed entry and the event that records it."""

    entry: QueueEntry
    event_type: str
    payload: dict[str, Any]


def new_entry(checkin_id: str, local_date: str, queue_no: int) -> QueueEntry:
    return QueueEntry(checkin_id, local_date, queue_no, rank=queue_no * RANK_STEP)


class DayQueue:
    """One station-local day's queue."""

    def __init__(self, entries: Iterable[QueueEntry] = ()):
        self.entries: dict[str, QueueEntry] = {e.checkin_id: e for e in entries}

    # -- reading --------------------------------------------------------------
    def waiting(self) -> list[QueueEntry]:
        """The waiting line in calling order: priority first by number, then by rank."""
        line = [e for e in self.entries.values() if e.state == WAITING]
        return sorted(line, key=lambda e: (0, e.queue_no, 0) if e.priority
                      else (1, e.rank, e.queue_no))

    def called(self) -> list[QueueEntry]:
        """Entries called and not yet started or closed, latest call first."""
        found = [e for e in self.entries.values() if e.state == CALLED]
        return sorted(found, key=lambda e: e.called_at or "", reverse=True)

    def ahead_of(self, checkin_id: str) -> int | None:
        """How many are called before her (None when she is not waiting)."""
        line = [e.checkin_id for e in self.waiting()]
        return line.index(checkin_id) if checkin_id in line else None

    def median_service_seconds(self) -> int | None:
        """Median called-to-done time of today's served entries; None below three served."""
        spans = [(_instant(e.done_at) - _instant(e.called_at)).total_seconds()
                 for e in self.entries.values() if e.state == DONE and e.called_at and e.done_at]
        if len(spans) < MIN_SERVED_FOR_ESTIMATE:
            return None
        return int(statistics.median(spans))

    def estimated_wait_minutes(self, checkin_id: str, rooms: int) -> int | None:
        """Her expected wait from today's own service times, or None rather than a guess."""
        ahead, median = self.ahead_of(checkin_id), self.median_service_seconds()
        if ahead is None or median is None:
            return None
        return max(1, round((ahead + 1) * median / max(rooms, 1) / 60))

    def _get(self, checkin_id: str) -> QueueEntry:
        entry = self.entries.get(checkin_id)
        if entry is None:
            raise QueueRefused(N_("This number is not in today's queue"))
        return entry

    def _set(self, entry: QueueEntry, event_type: str, at: str, by: str | None,
             **extra: Any) -> Move:
        self.entries[entry.checkin_id] = entry
        payload = {"checkin_id": entry.checkin_id, "queue_no": entry.queue_no,
                   "local_date": entry.local_date, "room": entry.room, "at": at, "by": by,
                   **extra}
        return Move(entry, event_type, payload)

    # -- moves ----------------------------------------------------------------
    def add(self, entry: QueueEntry) -> None:
        self.entries[entry.checkin_id] = entry

    def call_next(self, room: str, at: str, by: str | None) -> Move:
        line = self.waiting()
        if not line:
            raise QueueRefused(N_("Nobody is waiting"))
        return self.call(line[0].checkin_id, room, at, by)

    def call(self, checkin_id: str, room: str, at: str, by: str | None) -> Move:
        entry = self._get(checkin_id)
        if entry.state != WAITING:
            raise QueueRefused(N_("Only a waiting number can be called"))
        return self._set(replace(entry, state=CALLED, room=room, called_at=at), "queue.called", at, by)

    def recall(self, checkin_id: str, at: str, by: str | None) -> Move:
        entry = self._get(checkin_id)
        if entry.state != CALLED:
            raise QueueRefused(N_("Only a called number can be called again"))
        return self._set(entry, "queue.recalled", at, by)

    def start(self, checkin_id: str, at: str, by: str | None) -> Move:
        entry = self._get(checkin_id)
        if entry.state != CALLED:
            raise QueueRefused(N_("Only a called number can start service"))
        return self._set(replace(entry, state=IN_SERVICE, started_at=at), "queue.started", at, by)

    def done(self, checkin_id: str, at: str, by: str | None) -> Move:
        entry = self._get(checkin_id)
        if entry.state != IN_SERVICE:
            raise QueueRefused(N_("Only a number in service can be done"))
        return self._set(replace(entry, state=DONE, done_at=at), "queue.done", at, by)

    def no_show(self, checkin_id: str, at: str, by: str | None) -> Move:
        entry = self._get(checkin_id)
        if entry.state != CALLED:
            raise QueueRefused(N_("Only a called number can be marked as not answered"))
        return self._set(replace(entry, state=NO_SHOW, done_at=at), "queue.no_show", at, by)

    def put_back(self, checkin_id: str, return_after: int, at: str, by: str | None) -> Move:
        """She came back after her number was passed: behind the next ``return_after``
        waiting (non-priority) entries, or at the end of a shorter line."""
        entry = self._get(checkin_id)
        if entry.state != NO_SHOW:
            raise QueueRefused(N_("Only a number that did not answer can be put back"))
        line = [e for e in self.waiting() if not e.priority]
        ahead = line[:return_after]
        low = ahead[-1].rank if ahead else min((e.rank for e in line), default=entry.rank) - 1
        if len(line) > len(ahead):
            high = line[len(ahead)].rank
        else:
            high = (max(e.queue_no for e in self.entries.values()) + 1) * RANK_STEP
        rank = max(low + 1, (low + high) // 2) if high > low + 1 else low
        moved = replace(entry, state=WAITING, rank=rank, room=None, called_at=None, done_at=None)
        return self._set(moved, "queue.returned", at, by, after=len(ahead))

    def prioritise(self, checkin_id: str, at: str, by: str | None) -> Move:
        entry = self._get(checkin_id)
        if entry.state != WAITING or entry.priority:
            raise QueueRefused(N_("Only a waiting number can be given priority"))
        return self._set(replace(entry, priority=True), "queue.prioritised", at, by)

    def close_day(self, at: str) -> list[Move]:
        """The day ended: every unfinished entry is closed as not served, one event each."""
        return [self._set(replace(e, state=NOT_SERVED, done_at=at), "queue.not_served", at, None)
                for e in sorted(self.entries.values(), key=lambda e: e.queue_no)
                if e.state in UNFINISHED]

    # -- replay ---------------------------------------------------------------
    def apply(self, event_type: str, payload: dict[str, Any], at: str,
              return_after: int) -> None:
        """Re-apply one stored event (``at`` is its wall time)."""
        cid, by, at = payload.get("checkin_id", ""), payload.get("by"), payload.get("at", at)
        if event_type == "checkin.created":
            self.add(new_entry(cid, payload["local_date"], payload["queue_no"]))
        elif event_type == "queue.called":
            self.call(cid, payload["room"], at, by)
        elif event_type == "queue.recalled":
            self.recall(cid, at, by)
        elif event_type == "queue.started":
            self.start(cid, at, by)
        elif event_type == "queue.done":
            self.done(cid, at, by)
        elif event_type == "queue.no_show":
            self.no_show(cid, at, by)
        elif event_type == "queue.returned":  # behind as many as she was put behind then
            self.put_back(cid, payload.get("after", return_after), at, by)
        elif event_type == "queue.prioritised":
            self.prioritise(cid, at, by)
        elif event_type == "queue.not_served":
            entry = self._get(cid)
            self.entries[cid] = replace(entry, state=NOT_SERVED, done_at=at)


def replay(events: Iterable[Any], local_date: str, return_after: int) -> DayQueue:
    """The queue of ``local_date`` exactly as the signed events say."""
    days: dict[str, DayQueue] = {}
    for event in events:
        replay_event(days, event, return_after)
    return days.get(local_date, DayQueue())


def replay_event(days: dict[str, DayQueue], event: Any, return_after: int) -> None:
    """Apply one stored event to the days' queues: check-ins and queue moves to their day,
    and a ``station.clock_set`` that dated check-ins taken while the clock was not set moves
    each to its real day and number (kiosk.domain.clock_setting), keeping its state."""
    if event.type == "station.clock_set":
        for dated in event.payload.get("checkins", []):
            move_entry(days, dated)
        return
    if event.type != "checkin.created" and not event.type.startswith("queue."):
        return
    day = days.setdefault(event.payload.get("local_date", ""), DayQueue())
    day.apply(event.type, event.payload, event_instant(event), return_after)


def move_entry(days: dict[str, DayQueue], dated: dict[str, Any]) -> None:
    """One check-in dated by a ``station.clock_set``: its entry to its day and number."""
    cid, date, number = dated["checkin_id"], dated["local_date"], dated["queue_no"]
    source = days.get(dated.get("from_date", date))
    entry = source.entries.get(cid) if source else None
    if source is None or entry is None or (entry.local_date, entry.queue_no) == (date, number):
        return
    del source.entries[cid]
    days.setdefault(date, DayQueue()).entries[cid] = replace(
        entry, local_date=date, queue_no=number, rank=number * RANK_STEP)


def event_instant(event: Any) -> str:
    """An event's wall time in the form the queue stores (UTC, seconds, +00:00)."""
    wall = dt.datetime.fromisoformat(event.wall_time.replace("Z", "+00:00"))
    return wall.isoformat(timespec="seconds")


def _instant(text: str | None) -> dt.datetime:
    assert text is not None
    return dt.datetime.fromisoformat(text)
