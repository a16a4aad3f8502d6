"""Opening the station database with the settings durability depends on."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from sqlite_utils import Database

from kiosk.errors import StoreError
from kiosk.store import search_keys
from kiosk.store.migrations import migrations


def _tolerant_text(raw: bytes) -> str:
    # A damaged byte must reach verify-log as a reportable problem, not crash the read.
    return raw.decode("utf-8", "surrogateescape")


# Every connection the code opens, counted here by (file, mode): the one-writer tests read it.
# Modes: "writer" (the one writing connection, store/writer.py), "readonly", "copy" (a backup
# file, never a live database). KIOSK_SQL_TRACE=FILE also appends one JSON line per opened
# connection and per writing statement, for a test watching another process.
opened: Counter[tuple[str, str]] = Counter()
_trace_lock = threading.Lock()
_WRITING = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "BEGIN IMMEDIATE",
            "COMMIT", "PRAGMA WAL_CHECKPOINT", "VACUUM")


def _trace(record: dict) -> None:
    target = os.environ.get("KIOSK_SQL_TRACE")
    if not target:
        return
    line = json.dumps({**record, "pid": os.getpid(), "thread": threading.current_thread().name})
    with _trace_lock, open(target, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def open_connection(path: str | Path, mode: str, check_same_thread: bool = False
                    ) -> sqlite3.Connection:
    """The one place that calls sqlite3.connect (a test checks): ``mode`` is "writer"
    (only store/writer.py asks for it), "readonly" (mode=ro, PRAGMA query_only) or "copy"."""
    assert mode in ("writer", "readonly", "copy"), mode
    name = ":memory:" if str(path) == ":memory:" else str(Path(path).resolve())
    if mode == "readonly":
        uri = f"file:{quote(name)}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=15, check_same_thread=check_same_thread)
        conn.execute("PRAGMA query_only=ON")
    else:
        conn = sqlite3.connect(name, timeout=15, check_same_thread=check_same_thread)
    opened[(name, mode)] += 1
    if os.environ.get("KIOSK_SQL_TRACE"):
        ident = f"{os.getpid()}:{id(conn)}"
        _trace({"open": name, "mode": mode, "conn": ident})

        def statement(sql: str) -> None:
            if sql.lstrip().upper().startswith(_WRITING):
                _trace({"write": name, "mode": mode, "conn": ident, "sql": sql.split()[0]})
        conn.set_trace_callback(statement)
    return conn


def _settings(conn: sqlite3.Connection) -> None:
    conn.text_factory = _tolerant_text
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=15000")


def connect_writer(path: str | Path) -> Database:
    """The writing connection, WAL with synchronous=FULL; no migrations. Only
    store/writer.py calls it, holding the writer lock: use ``Writer`` instead."""
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = open_connection(path, "writer")
        _settings(conn)
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous=FULL")
        # A changed or deleted row's old bytes are zeroed where that costs no extra write, so
        # a visitor forgotten later (kiosk.store.visitors) leaves no copy of her name behind.
        conn.execute("PRAGMA secure_delete=FAST")
    except (sqlite3.DatabaseError, OSError) as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from exc
    if str(mode).lower() != "wal":
        raise StoreError(f"database {path} refused WAL mode (got {mode}); is it on a read-only disk?")
    return Database(conn)


def connect_readonly(path: str | Path) -> Database:
    """A reading connection (pages, the spooler, sync, doctor, verify-log): it can neither
    write nor checkpoint, so the station's one writer stays the only one."""
    if not Path(path).exists():
        raise StoreError(f"database {path} does not exist")
    try:
        conn = open_connection(path, "readonly")
        _settings(conn)
    except (sqlite3.DatabaseError, OSError) as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from exc
    return Database(conn)


def connect_copy(path: str | Path) -> sqlite3.Connection:
    """A plain connection to a copy (an upgrade's backup file, a work file, ``":memory:"``),
    never to a live database."""
    return open_connection(path, "copy")


def sqlite_version() -> str:
    return sqlite3.sqlite_version


def wal_reset_fixed(version: str | None = None) -> bool:
    """Whether this SQLite has the WAL-reset fix (3.51.3, or the 3.50.7 and 3.44.6 backports)."""
    parts = tuple(int(p) for p in (version or sqlite3.sqlite_version).split(".")[:3])
    major_minor, patch = parts[:2], parts[2] if len(parts) > 2 else 0
    if major_minor == (3, 50):
        return patch >= 7
    if major_minor == (3, 44):
        return patch >= 6
    return parts >= (3, 51, 3)


def sqlite_status() -> str:
    """The library version and why it is safe here, for the start log line and doctor."""
    version = sqlite3.sqlite_version
    if wal_reset_fixed(version):
        return f"SQLite {version}: has the WAL-reset fix, and one writer per database"
    return (f"SQLite {version}: one writing connection per database, so the WAL-reset bug "
            "(3.7.0 to 3.51.2, two writers or checkpointers) cannot happen")


def open_database(path: str | Path) -> Database:
    """A writing connection with the schema brought up to date, and the residents' search keys
    (made anew when their recipe or the pypinyin release changed, see store/search_keys.py).
    Only store/writer.py calls it."""
    db = connect_writer(path)
    try:
        migrations.apply(db)
        if not search_keys.keys_current(db):
            search_keys.rebuild(db)
    except sqlite3.DatabaseError as exc:
        db.conn.close()
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
