"""The county store's PostgreSQL backend (psycopg 3), for counties or provinces that outgrow
one SQLite file. The same SQL as SQLite (kiosk/county/store/sql.py) behind '?' placeholders;
each thread keeps its own connection (PostgreSQL has no WAL-reset bug). Writers lock the
events table, so two pushes of one station are judged one after the other."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from kiosk.county.store.base import Connection
from kiosk.county.store.migrations import migrate
from kiosk.county.store.migrations.postgres import MIGRATIONS

T = TypeVar("T")
MIGRATION_LOCK = 7201  # pg_advisory_lock key: one process migrates at a time


class PgConnection:
    """psycopg with the SQLite store's '?' placeholders."""

    def __init__(self, conn: Any):
        self.conn = conn

    def execute(self, sql: str, params: Any = None, /) -> Any:
        if params is None:
            return self.conn.execute(sql)
        return self.conn.execute(sql.replace("?", "%s"), params)

    def executemany(self, sql: str, rows: Any, /) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(sql.replace("?", "%s"), rows)

    def close(self) -> None:
        self.conn.close()


class PostgresBackend:
    name = "postgresql"
    legacy_order = "cursor"

    def __init__(self, dsn: str, now: str):
        import psycopg
        self.dsn = dsn
        self._local = threading.local()
        with psycopg.connect(dsn, autocommit=True) as raw:
            conn = PgConnection(raw)
            conn.execute(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
            self.migrated = migrate(conn, MIGRATIONS, now)

    def reader(self) -> PgConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            import psycopg
            conn = PgConnection(psycopg.connect(self.dsn, autocommit=True))
            self._local.conn = conn
        return conn

    def transaction(self, fn: Callable[[Connection], T]) -> T:
        """``fn(conn)`` in one transaction on this thread's connection."""
        conn = self.reader()
        conn.execute("BEGIN")
        try:
            conn.execute("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")
            value = fn(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return value

    def describe(self) -> str:
        return "PostgreSQL store (its connections per thread; SQLite's WAL-reset bug does not apply)"

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
