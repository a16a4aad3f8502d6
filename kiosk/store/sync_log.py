"""What the sync worker reads and keeps in the station's database: events after a sequence
number, and the county's acknowledgements (sync_acks)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from kiosk.ports import Ack
from kiosk.store.sqlite import EVENT_COLUMNS


@dataclass(frozen=True)
class SyncState:
    acked_seq: int
    head_seq: int
    last_sync: str | None  # when the newest acknowledgement arrived (UTC)
    county_time: str | None

    @property
    def backlog(self) -> int:
        return self.head_seq - self.acked_seq


def sync_state(db: Database) -> SyncState:
    ack = db.execute("SELECT seq, received_at, county_time FROM sync_acks "
                     "ORDER BY seq DESC, id DESC LIMIT 1").fetchone()
    head = db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
    return SyncState(ack[0] if ack else 0, head, ack[1] if ack else None, ack[2] if ack else None)


def kept_acks(db: Database, station_id: str) -> list[Ack]:
    """Every acknowledgement kept, the highest sequence first."""
    rows = db.execute("SELECT seq, hash, county_time, signature FROM sync_acks "
                      "ORDER BY seq DESC, id DESC").fetchall()
    return [Ack(station_id, seq, hash_, county_time, signature)
            for seq, hash_, county_time, signature in rows]


def events_after(db: Database, after: int, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` events after ``after`` as JSON-ready dicts (payload parsed)."""
    rows = db.execute(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE seq > ? "
                      "ORDER BY seq LIMIT ?", (after, limit)).fetchall()
    events = [dict(zip(EVENT_COLUMNS, row, strict=False)) for row in rows]
    for event in events:
        event["payload"] = json.loads(event["payload"])
    return events


def event_hash(db: Database, seq: int) -> str | None:
    row = db.execute("SELECT hash FROM events WHERE seq = ?", (seq,)).fetchone()
    return row[0] if row else None


def keep_ack(db: Database, ack: Ack, received_at: str) -> None:
    """Inside the writer's transaction (``Writer.run``)."""
    db.execute("INSERT INTO sync_acks (seq, hash, county_time, signature, received_at) "
               "VALUES (?, ?, ?, ?, ?)", (ack.seq, ack.hash, ack.county_time,
                                          ack.signature, received_at))
