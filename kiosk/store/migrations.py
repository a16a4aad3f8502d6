"""Schema migrations (sqlite-utils' built-in Migrations), applied at every start.

Never edit a migration that has shipped: add a new one. tests/test_migrations.py
upgrades from every older schema version.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("kiosk")


@migrations()
def m001_event_log(db: Database) -> None:
    db.execute("""
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            v INTEGER NOT NULL,
            station_id TEXT NOT NULL,
            type TEXT NOT NULL,
            payload TEXT NOT NULL,
            wall_time TEXT NOT NULL,
            boot_id TEXT NOT NULL,
            mono_ns INTEGER NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            signature TEXT NOT NULL
        )""")
    for op in ("UPDATE", "DELETE"):
        db.execute(f"""
            CREATE TRIGGER events_no_{op.lower()} BEFORE {op} ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


@migrations()
def m002_residents_and_cards(db: Database) -> None:
    db.execute("""
        CREATE TABLE residents (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            birth_date TEXT,
            village TEXT
        )""")
    db.execute("""
        CREATE TABLE cards (
            uid_hash TEXT PRIMARY KEY,
            resident_id TEXT NOT NULL REFERENCES residents(id),
            status TEXT NOT NULL DEFAULT 'active'
        )""")


@migrations()
def m003_checkins(db: Database) -> None:
    db.execute("""
        CREATE TABLE checkins (
            id TEXT PRIMARY KEY,
            resident_id TEXT NOT NULL REFERENCES residents(id),
            station_id TEXT NOT NULL,
            local_date TEXT NOT NULL,
            queue_no INTEGER NOT NULL,
            checked_in_at TEXT NOT NULL,
            UNIQUE (station_id, local_date, resident_id),
            UNIQUE (station_id, local_date, queue_no)
        )""")


@migrations()
def m004_care_plan_items(db: Database) -> None:
    db.execute("""
        CREATE TABLE care_plan_items (
            id TEXT PRIMARY KEY,
            resident_id TEXT NOT NULL REFERENCES residents(id),
            plan TEXT NOT NULL,
            title TEXT NOT NULL,
            earliest TEXT NOT NULL,
            due TEXT NOT NULL,
            latest TEXT NOT NULL,
            done_on TEXT,
            declined_on TEXT
        )""")
    db.execute("CREATE INDEX care_plan_items_resident ON care_plan_items (resident_id, due)")


@migrations()
def m005_print_jobs(db: Database) -> None:
    """Durable receipt queue: enqueued with the check-in, printed when the printer can."""
    db.execute("""
        CREATE TABLE print_jobs (
            id INTEGER PRIMARY KEY,
            checkin_id TEXT NOT NULL REFERENCES checkins(id),
            reason TEXT NOT NULL DEFAULT 'checkin',
            created_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            last_state TEXT,
            printed_at TEXT
        )""")
    db.execute("CREATE INDEX print_jobs_pending ON print_jobs (status, id)")
