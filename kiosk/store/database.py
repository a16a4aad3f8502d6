"""Opening the station database with the settings durability depends on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from kiosk.errors import StoreError
from kiosk.store.migrations import migrations


def _tolerant_text(raw: bytes) -> str:
    # A damaged byte must reach verify-log as a reportable problem, not crash the read.
    return raw.decode("utf-8", "surrogateescape")


def connect(path: str | Path) -> Database:
    """Open (creating if needed) with WAL, synchronous=FULL and foreign keys; no migrations."""
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=15, check_same_thread=False)
        conn.text_factory = _tolerant_text
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=15000")
    except (sqlite3.DatabaseError, OSError) as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from exc
    if str(mode).lower() != "wal":
        raise StoreError(f"database {path} refused WAL mode (got {mode}); is it on a read-only disk?")
    return Database(conn)


def open_database(path: str | Path) -> Database:
    """Open the database and bring its schema up to date."""
    db = connect(path)
    try:
        migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot migrate database {path}: {exc}") from exc
    return db


def schema_version(db: Database) -> list[str]:
    return [m.name for m in migrations.applied(db)]


def pending_migrations(db: Database) -> list[str]:
    return [m.name for m in migrations.pending(db)]


def has_tables(conn: sqlite3.Connection) -> bool:
    """Whether the file holds anything yet (a new database needs no backup before migrating)."""
    return bool(conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0)


def integrity(db: Database) -> str:
    """SQLite's own check of the file: 'ok', or what is damaged."""
    return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def last_event_time(db: Database) -> str | None:
    return db.execute("SELECT MAX(wall_time) FROM events").fetchone()[0]


def active_technicians(db: Database) -> tuple[int, int]:
    """(active technicians, how many of them still have a PIN set before 6-digit PINs)."""
    count, short_pins = db.execute(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE COALESCE(pin_digits, 0) < 6 AND pin_hash != '') "
        "FROM technicians WHERE active = 1").fetchone()
    return int(count), int(short_pins)


def technicians_without_pin(db: Database) -> list[str]:
    """Active technicians a restore brought back without a PIN (it never leaves a station)."""
    return [r[0] for r in db.execute("SELECT id FROM technicians WHERE active = 1 AND "
                                     "pin_hash = '' ORDER BY id")]


def first_event(db: Database) -> tuple[str, str] | None:
    """(payload JSON, station id) of the log's first event, if there is one."""
    row = db.execute("SELECT payload, station_id FROM events WHERE seq = 1").fetchone()
    return (row[0], row[1]) if row else None
