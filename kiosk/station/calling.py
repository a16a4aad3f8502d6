"""The station's side of calling the queue: the boards the pages show and the calls
they announce.

After every queue move the technician page hands the move here; this publishes the public
board (current call per room, last five calls, how many wait) and, for a call or re-call,
an announcement to every open page through the hub. Pages opened later (or after a
restart) render the same board from the database, so a call is never lost to the screen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from kiosk.domain.calling import QueueService
from kiosk.domain.model import mask_name
from kiosk.domain.queue import CALLED, IN_SERVICE, WAITING, DayQueue, Move
from kiosk.station.announcer import Announcer
from kiosk.station.voice_access import VoicePasses
from kiosk.store.queue import entry_from_row, queue_board, queue_number_issued

ANNOUNCED = ("queue.called", "queue.recalled")
RECENT_CALLS = 5


@dataclass(frozen=True)
class Call:
    """A number called to a room, as the public screens show and speak it."""

    queue_no: int
    room_id: str
    room_name: str
    masked_name: str  # "" unless queue.show_masked_name
    at: str


@dataclass(frozen=True)
class PublicBoard:
    current: tuple[Call, ...]  # the latest call per room still called or in service
    recent: tuple[Call, ...]   # the last calls, newest first
    waiting: int
    # the waiting numbers in calling order, and the expected minutes per person (today's own
    # service times over the rooms, None below three served): a check-in screen counts the
    # people ahead of her from these as numbers are called
    line: tuple[int, ...] = ()
    minutes_each: float | None = None


@dataclass(frozen=True)
class Announcement:
    call: Call
    seq: int  # orders announcements; pages play them one after the other


class QueueDesk:
    """Read models for the queue pages and the fan-out of moves to the public screens."""

    def __init__(self, queue: QueueService, hub: Any, database: Path,
                 show_masked_name: bool = False, announcer: Announcer | None = None,
                 passes: VoicePasses | None = None):
        self.queue, self.hub, self.queue_database = queue, hub, database
        self.show_masked_name, self.announcer = show_masked_name, announcer
        self.passes = passes or VoicePasses()
        self._announced = 0

    def voice_path(self, call: Call) -> str:
        """Where a screen fetches the call's announcement, with today's pass; "" without a voice."""
        if self.announcer is None:
            return ""
        given = self.passes.mint(self.queue.today(), call.queue_no, call.room_id)
        return f"/voice/{call.queue_no}/{call.room_id}.wav?k={given}"

    def voice(self, db: Database, queue_no: int, room_id: str, given: str) -> bytes | None:
        """The call's announcement (rendered once, then from the cache), or None when refused:
        no voice, no pass minted today for this number and room, no such room, or a number
        not issued today. A refusal reads and writes nothing but the one query."""
        if self.announcer is None:
            return None
        day = self.queue.today()
        room = next((r for r in self.queue.rooms if r.id == room_id), None)
        if room is None or not self.passes.valid(given, day, queue_no, room_id):
            return None
        if not queue_number_issued(db, day, queue_no):
            return None
        return self.announcer.wav(queue_no, room.name)

    def room_name(self, room_id: str | None) -> str:
        return next((r.name for r in self.queue.rooms if r.id == room_id), room_id or "")

    def _call(self, row: dict[str, Any]) -> Call:
        name = mask_name(row["name"]) if self.show_masked_name and row.get("name") else ""
        return Call(row["queue_no"], row["room"], self.room_name(row["room"]), name,
                    row["called_at"] or "")

    def board(self, db: Database) -> PublicBoard:
        found = queue_board(db, self.queue.today())
        calls = sorted((r for r in found if r["called_at"] and r["room"]),
                       key=lambda r: (r["called_at"], r["queue_no"]), reverse=True)
        current = []
        for room in self.queue.rooms:
            latest = next((r for r in calls if r["room"] == room.id), None)
            if latest and latest["state"] in (CALLED, IN_SERVICE):
                current.append(self._call(latest))
        day = DayQueue(entry_from_row(_entry(r)) for r in found)
        median = day.median_service_seconds()
        return PublicBoard(tuple(current), tuple(self._call(r) for r in calls[:RECENT_CALLS]),
                           sum(1 for r in found if r["state"] == WAITING),
                           tuple(e.queue_no for e in day.waiting()),
                           median / max(len(self.queue.rooms), 1) / 60 if median else None)

    def staff_rows(self, db: Database) -> dict[str, list[dict[str, Any]]]:
        """Today's entries for the technician page: the waiting line in calling order, the
        called and in-service ones, and those who did not answer; names masked."""
        found = queue_board(db, self.queue.today())
        now = self.queue.clock.now()
        line = [e.checkin_id for e in DayQueue(entry_from_row(_entry(r)) for r in found).waiting()]
        view = []
        for r in found:
            since = dt.datetime.fromisoformat(r["checked_in_at"])
            until = dt.datetime.fromisoformat(r["called_at"]) if r["called_at"] else now
            view.append({**r, "masked_name": mask_name(r["name"] or ""),
                         "room_name": self.room_name(r["room"]),
                         "waited_minutes": max(0, int((until - since).total_seconds() // 60))})
        by_id = {r["checkin_id"]: r for r in view}
        return {"waiting": [by_id[c] for c in line],
                "active": sorted((r for r in view if r["state"] in (CALLED, IN_SERVICE)),
                                 key=lambda r: r["called_at"] or "", reverse=True),
                "no_show": [r for r in view if r["state"] == "no_show"],
                "finished": [r for r in view if r["state"] in ("done", "not_served")]}

    def waiting_ahead(self, db: Database, checkin_id: str) -> tuple[int | None, int | None]:
        """(people ahead of her, estimated minutes or None) for her check-in screen."""
        found = queue_board(db, self.queue.today())
        day = DayQueue(entry_from_row(_entry(r)) for r in found)
        return day.ahead_of(checkin_id), day.estimated_wait_minutes(checkin_id,
                                                                    len(self.queue.rooms))

    def moved(self, move: Move, db: Database) -> None:
        """Publish the new board; announce a call or a re-call."""
        self.hub.queue_board(self.board(db))
        if move.event_type in ANNOUNCED and move.entry.room:
            self._announced += 1
            row = {"queue_no": move.entry.queue_no, "room": move.entry.room,
                   "called_at": move.entry.called_at, "name": ""}
            self.hub.announce(Announcement(self._call(row), self._announced))


def _entry(row: dict[str, Any]) -> dict[str, Any]:
    keep = ("checkin_id", "queue_no", "state", "priority", "room", "rank", "called_at",
            "started_at", "done_at")
    return {**{k: row[k] for k in keep}, "local_date": ""}


class DayEnd:
    """Closes earlier days' unfinished entries once the local day turns; runs on the
    station loop's heartbeat (the one writer), and once at start."""

    def __init__(self, queue: QueueService, on_closed: Any = None):
        self.queue, self.on_closed = queue, on_closed
        self.checked: str | None = None

    def tick(self) -> int:
        today = self.queue.today()
        if today == self.checked:
            return 0
        closed = self.queue.close_past_days()
        self.checked = today
        if self.on_closed:
            self.on_closed()
        return len(closed)
