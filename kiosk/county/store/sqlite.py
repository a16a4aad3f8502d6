"""The county store's SQLite backend: one file, WAL, one writer.

Every write goes to one writer thread (kiosk.store.writer.WriteThread, as Datasette's write
thread): a batch is judged and stored there inside one BEGIN IMMEDIATE transaction, one after
another, so two copies of the same request can never both be stored and no second
connection ever writes or checkpoints the file. Each HTTP worker thread reads through its
own read-only connection. The migrations run on the writer when the store opens."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from kiosk.county.store.base import Connection
from kiosk.county.store.migrations import migrate
from kiosk.county.store.migrations.sqlite import MIGRATIONS
from kiosk.store.database import open_connection, sqlite_status
from kiosk.store.writer import WriteThread

T = TypeVar("T")
WRITER_CACHE_KIB = 64 * 1024  # the writer's page cache: 64 MiB
WAL_CHECKPOINT_PAGES = 10_000  # about 40 MB of log between checkpoints (SQLite's default: 1,000)


class SqliteBackend:
    name = "sqlite"
    legacy_order = "rowid"

    def __init__(self, path: str | Path, now: str):
        self.path = str(path)
        self._local = threading.local()
        self.migrated: list[int] = []
        self._writer = WriteThread(lambda: self._open_writer(now), self.path, "county-writer")
        if 4 in self.migrated:  # the cut values leave the write-ahead log (only the writer checkpoints)
            self._writer.submit(lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)"),
                                transaction=False)

    def _open_writer(self, now: str) -> sqlite3.Connection:
        """The file's one writing connection, made on its writer thread, migrated."""
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = open_connection(self.path, "writer", check_same_thread=True)
        conn.isolation_level = None
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA secure_delete=ON")  # the cut values are overwritten
        # A batch touches pages all over the read models' indexes (residents, items and
        # visits are keyed by random ids): the default 2 MB cache reads them back from the
        # file for each batch once the county holds a few hundred thousand events, and a
        # checkpoint every 4 MB of log writes the same pages to the file again and again.
        conn.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
        conn.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
        self.migrated = migrate(conn, MIGRATIONS, now, begin="BEGIN IMMEDIATE")
        return conn

    def reader(self) -> Connection:
        """This thread's own read-only connection (opened on first use)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = open_connection(self.path, "readonly", check_same_thread=True)
            conn.isolation_level = None
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    def transaction(self, fn: Callable[[Connection], T]) -> T:
        """``fn(conn)`` in one transaction on the writer thread; its result."""
        return self._writer.submit(fn)

    def describe(self) -> str:
        return sqlite_status()

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        self._writer.close()
