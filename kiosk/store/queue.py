"""The day's queue entries (kiosk.domain.queue), one row per check-in."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from kiosk.domain.queue import UNFINISHED, QueueEntry
from kiosk.store.rows import rows


def entry_from_row(row: dict[str, Any]) -> QueueEntry:
    return QueueEntry(**{**row, "priority": bool(row["priority"])})


class SqliteQueueEntries:
    def __init__(self, db: Database):
        self.db = db

    def day(self, local_date: str) -> list[QueueEntry]:
        return [entry_from_row(row) for row in rows(
            self.db, "SELECT * FROM queue_entries WHERE local_date = ? ORDER BY queue_no",
            (local_date,))]

    def add(self, entry: QueueEntry) -> None:
        self.db.table("queue_entries").insert(vars(entry))

    def save(self, entry: QueueEntry) -> None:
        self.db.table("queue_entries").update(entry.checkin_id, vars(entry))

    def get(self, checkin_id: str) -> QueueEntry | None:
        found = rows(self.db, "SELECT * FROM queue_entries WHERE checkin_id = ?", (checkin_id,))
        return entry_from_row(found[0]) if found else None

    def open_dates_before(self, local_date: str) -> list[str]:
        marks = ", ".join("?" * len(UNFINISHED))
        found = rows(self.db, f"SELECT DISTINCT local_date FROM queue_entries WHERE local_date < ? "
                     f"AND state IN ({marks}) ORDER BY local_date", (local_date, *UNFINISHED))
        return [row["local_date"] for row in found]


def queue_board(db: Database, local_date: str) -> list[dict[str, Any]]:
    """The day's entries with check-in time and (unmasked) name, for the staff and public
    boards; callers mask the name before anyone sees it."""
    return rows(db, """
        SELECT q.checkin_id, q.queue_no, q.state, q.priority, q.room, q.rank, q.called_at,
               q.started_at, q.done_at, c.checked_in_at, c.time_unconfirmed, r.name
        FROM queue_entries q JOIN checkins c ON c.id = q.checkin_id
        LEFT JOIN residents r ON r.id = c.resident_id
        WHERE q.local_date = ? ORDER BY q.queue_no""", (local_date,))


def queue_number_issued(db: Database, local_date: str, queue_no: int) -> bool:
    """Whether the day's queue holds this number (the voice renders no other)."""
    return bool(rows(db, "SELECT 1 FROM queue_entries WHERE local_date = ? AND queue_no = ? LIMIT 1",
                     (local_date, queue_no)))
