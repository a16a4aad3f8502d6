"""SQLite repositories and unit of work; every write runs inside one db.atomic()."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

from sqlite_utils import Database

from kiosk.domain.events import ChainHead, Event, canonical_json
from kiosk.domain.model import Card, CarePlanItem, CheckIn, Resident
from kiosk.domain.unit_of_work import EventFactory, UnitOfWork
from kiosk.errors import KioskError, StoreUnavailable
from kiosk.store.queue import SqliteQueueEntries
from kiosk.store.roster import SqliteRoster
from kiosk.store.rows import one, rows
from kiosk.store.search_keys import index_resident
from kiosk.store.sqlite_staff import (
    SqliteEnrolments,
    SqliteIssuedCards,
    SqliteRecordViews,
    SqliteTechnicians,
    SqliteVisits,
)
from kiosk.store.visitors import SqliteHomes, SqliteVisitors

EVENT_COLUMNS = ("seq", "id", "v", "station_id", "type", "payload", "wall_time", "boot_id",
                 "mono_ns", "prev_hash", "hash", "signature")
INSERT_EVENT = (f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(EVENT_COLUMNS))})")


class _Rollback(KioskError):
    """Thrown into db.atomic() to roll back a unit of work that was not committed."""


class SqliteResidents:
    def __init__(self, db: Database):
        self.db = db

    def get(self, resident_id: str) -> Resident | None:
        row = one(self.db, "SELECT * FROM residents WHERE id = ?", (resident_id,))
        return Resident(**row) if row else None

    def add(self, resident: Resident) -> None:
        self.db.table("residents").insert(vars(resident))
        index_resident(self.db, resident.id, resident.name)

    def update(self, resident: Resident) -> None:
        self.db.table("residents").update(resident.id, vars(resident))
        index_resident(self.db, resident.id, resident.name)

    def by_national_id_hash(self, id_hash: str) -> Resident | None:
        row = one(self.db, "SELECT * FROM residents WHERE national_id_hash = ?", (id_hash,))
        return Resident(**row) if row else None


class SqliteCards:
    def __init__(self, db: Database):
        self.db = db

    def by_uid_hash(self, uid_hash: str) -> Card | None:
        row = one(self.db, "SELECT * FROM cards WHERE uid_hash = ?", (uid_hash,))
        return Card(**row) if row else None

    def add(self, card: Card) -> None:
        self.db.table("cards").insert(vars(card))


def checkin_from_row(row: dict[str, Any]) -> CheckIn:
    return CheckIn(**{**row, "time_unconfirmed": bool(row["time_unconfirmed"])})


class SqliteCheckIns:
    def __init__(self, db: Database):
        self.db = db

    def for_resident_on(self, resident_id: str, local_date: str) -> CheckIn | None:
        row = one(self.db, "SELECT * FROM checkins WHERE resident_id = ? AND local_date = ?",
                   (resident_id, local_date))
        return checkin_from_row(row) if row else None

    def next_queue_no(self, station_id: str, local_date: str) -> int:
        row = one(self.db, "SELECT COALESCE(MAX(queue_no), 0) + 1 AS n FROM checkins "
                   "WHERE station_id = ? AND local_date = ?", (station_id, local_date))
        return int(row["n"]) if row else 1

    def add(self, checkin: CheckIn) -> None:
        self.db.table("checkins").insert(vars(checkin))

    def queue_numbers(self, station_id: str, local_date: str) -> set[int]:
        return {row["queue_no"] for row in rows(
            self.db, "SELECT queue_no FROM checkins WHERE station_id = ? AND local_date = ?",
            (station_id, local_date))}

    def unconfirmed(self, boot_id: str) -> list[CheckIn]:
        return [checkin_from_row(row) for row in rows(
            self.db, "SELECT * FROM checkins WHERE time_unconfirmed = 1 AND boot_id = ? "
            "ORDER BY mono_ns", (boot_id,))]

    def update(self, checkin: CheckIn) -> None:
        self.db.table("checkins").update(checkin.id, vars(checkin))


class SqliteCareItems:
    def __init__(self, db: Database):
        self.db = db

    def for_resident(self, resident_id: str) -> list[CarePlanItem]:
        return [CarePlanItem(**row) for row in rows(
            self.db, "SELECT * FROM care_plan_items WHERE resident_id = ? ORDER BY due",
            (resident_id,))]

    def get(self, item_id: str) -> CarePlanItem | None:
        row = one(self.db, "SELECT * FROM care_plan_items WHERE id = ?", (item_id,))
        return CarePlanItem(**row) if row else None

    def add(self, item: CarePlanItem) -> None:
        self.db.table("care_plan_items").insert(vars(item))

    def update(self, item: CarePlanItem) -> None:
        self.db.table("care_plan_items").update(item.id, vars(item))


class SqlitePrintJobs:
    def __init__(self, db: Database):
        self.db = db

    def enqueue(self, checkin_id: str, reason: str, created_at: str) -> None:
        self.db.table("print_jobs").insert({"checkin_id": checkin_id, "reason": reason,
                                      "created_at": created_at})


class SqliteEvents:
    def __init__(self, db: Database):
        self.db = db

    def head(self) -> ChainHead:
        row = one(self.db, "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", ())
        return ChainHead(row["seq"], row["hash"]) if row else ChainHead()

    def add(self, event: Event) -> None:
        row = {**vars(event), "payload": canonical_json(event.payload).decode("utf-8")}
        self.db.execute(INSERT_EVENT, tuple(row[c] for c in EVENT_COLUMNS))

    def keep_secrets(self, seq: int, kept: dict[str, Any]) -> None:
        self.db.execute("INSERT INTO event_secrets (seq, fields) VALUES (?, ?)",
                        (seq, canonical_json(kept).decode("utf-8")))


def event_secrets(db: Database) -> Iterator[tuple[int, dict[str, Any]]]:
    """(seq, kept station-only values) of every event that has some, in sequence order."""
    for seq, fields in db.execute("SELECT seq, fields FROM event_secrets ORDER BY seq"):
        yield seq, json.loads(fields)


def iter_events(db: Database, batch: int = 1000) -> Iterator[Event]:
    """All stored events in sequence order, read in batches (the log can be large)."""
    last = -1
    while True:
        rows = db.execute(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE seq > ? "
                          "ORDER BY seq LIMIT ?", (last, batch)).fetchall()
        if not rows:
            return
        for row in rows:
            data = dict(zip(EVENT_COLUMNS, row, strict=False))
            try:
                data["payload"] = json.loads(data["payload"])
            except ValueError:
                data["payload"] = {"__unreadable__": data["payload"]}
            yield Event(**data)
        last = rows[-1][0]


class SqliteUnitOfWork(UnitOfWork):
    """``lock`` serialises units of work that share one connection across threads
    (the station loop and the technician pages)."""

    def __init__(self, db: Database, event_factory: EventFactory,
                 lock: threading.RLock | None = None):
        self.db, self.event_factory, self.lock = db, event_factory, lock
        self._locked = False
        self.residents, self.cards = SqliteResidents(db), SqliteCards(db)
        self.checkins, self.care_items = SqliteCheckIns(db), SqliteCareItems(db)
        self.events, self.print_jobs = SqliteEvents(db), SqlitePrintJobs(db)
        self.technicians, self.issued_cards = SqliteTechnicians(db), SqliteIssuedCards(db)
        self.enrolments, self.visits = SqliteEnrolments(db), SqliteVisits(db)
        self.record_views = SqliteRecordViews(db)
        self.queue = SqliteQueueEntries(db)
        self.roster = SqliteRoster(db)  # the county's roster feed (sync/roster_pull.py)
        self.homes, self.visitors = SqliteHomes(db), SqliteVisitors(db)
        self._atomic: contextlib.AbstractContextManager[Database] | None = None

    def __enter__(self) -> SqliteUnitOfWork:
        # Take the write lock first (BEGIN IMMEDIATE waits on busy_timeout); a deferred
        # transaction that reads and then writes fails at once if another connection
        # (the print spooler) wrote in between. db.atomic() nests as a savepoint inside.
        if self.lock is not None:
            self.lock.acquire()
            self._locked = True
        try:
            self.db.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            self._release()
            raise StoreUnavailable(str(exc)) from exc
        except BaseException:
            self._release()
            raise
        self._atomic = self.db.atomic()
        self._atomic.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.rollback()
        error = exc[1] if len(exc) > 1 else None
        if isinstance(error, sqlite3.OperationalError):  # busy, locked or disk trouble
            raise StoreUnavailable(str(error)) from error

    def commit(self) -> None:
        atomic, self._atomic = self._atomic, None
        try:
            if atomic is not None:
                atomic.__exit__(None, None, None)
                self.db.conn.execute("COMMIT")
        finally:
            self._release()

    def rollback(self) -> None:
        atomic, self._atomic = self._atomic, None
        if atomic is not None:
            atomic.__exit__(_Rollback, _Rollback(), None)
        try:
            if self.db.conn.in_transaction:
                self.db.conn.execute("ROLLBACK")
        finally:
            self._release()

    def _release(self) -> None:
        if self._locked and self.lock is not None:
            self._locked = False
            self.lock.release()
