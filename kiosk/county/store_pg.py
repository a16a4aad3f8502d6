"""The county store on PostgreSQL (psycopg 3), for counties or provinces that outgrow
one SQLite file. Same repository interface and the same SQL as the SQLite store;
writers serialise on a table lock, so the feed cursor (a sequence) follows
commit order.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

from kiosk.county.store import FEED_COLUMNS, ROSTER_SCHEMA, SqliteCountyStore, T, _SqliteWriting, cut_stored, feed_rows
from kiosk.county.successions import SUCCESSION_SCHEMA

TRIGGER = "county_events_append_only"

SCHEMA = """
CREATE TABLE IF NOT EXISTS stations (
    id TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'enrolled',
    enrolled_at TEXT NOT NULL,
    last_sync TEXT,
    clock_offset_s DOUBLE PRECISION,
    reported_head BIGINT
);
CREATE TABLE IF NOT EXISTS events (
    cursor BIGSERIAL UNIQUE,
    station_id TEXT NOT NULL REFERENCES stations(id),
    seq BIGINT NOT NULL,
    id TEXT NOT NULL,
    v INTEGER NOT NULL,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    wall_time TEXT NOT NULL,
    boot_id TEXT NOT NULL,
    mono_ns BIGINT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    signature TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (station_id, seq)
);
CREATE TABLE IF NOT EXISTS forks (
    id BIGSERIAL PRIMARY KEY,
    station_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    event TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS county_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE OR REPLACE FUNCTION county_events_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'events are append-only'; END; $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS county_events_append_only ON events;
CREATE TRIGGER county_events_append_only BEFORE UPDATE OR DELETE ON events
FOR EACH ROW EXECUTE FUNCTION county_events_append_only();
"""


class _PgConnection:
    """psycopg with the SQLite store's '?' placeholders."""

    def __init__(self, conn):
        self.conn = conn

    def execute(self, sql: str, params: Any = (), /) -> Any:
        return self.conn.execute(sql.replace("?", "%s"), params)

    def executemany(self, sql: str, rows: Any, /) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(sql.replace("?", "%s"), rows)

    def close(self) -> None:
        self.conn.close()


class PostgresCountyStore(SqliteCountyStore):
    def __init__(self, dsn: str):
        import psycopg
        self.dsn, self.path = dsn, dsn
        self._local = threading.local()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(7201)")  # one schema creator at a time
            conn.execute(SCHEMA + ROSTER_SCHEMA + SUCCESSION_SCHEMA)
        with self.writing() as tx:  # events stored before stations withheld station-only fields
            cut_stored(tx.conn, unlock=(f"ALTER TABLE events DISABLE TRIGGER {TRIGGER}",),
                       relock=(f"ALTER TABLE events ENABLE TRIGGER {TRIGGER}",))

    def _conn(self) -> _PgConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            import psycopg
            conn = _PgConnection(psycopg.connect(self.dsn, autocommit=True))
            self._local.conn = conn
        return conn

    def write(self, fn: Callable[[_SqliteWriting], T]) -> T:
        """``fn(tx)`` in one transaction on this thread's connection (PostgreSQL keeps its
        connection per thread: it has no WAL-reset bug)."""
        with self.writing() as tx:
            return fn(tx)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextlib.contextmanager
    def writing(self) -> Iterator[_SqliteWriting]:
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            conn.execute("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")
            yield _SqliteWriting(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def feed(self, exclude_station: str, after: int, limit: int) -> tuple[list[tuple], int]:
        rows = self._conn().execute(
            f"SELECT e.cursor, {FEED_COLUMNS} WHERE e.cursor > ? ORDER BY e.cursor LIMIT ?",
            (after, limit)).fetchall()
        return feed_rows(rows, exclude_station, after)


def open_store(database: str):
    """A postgresql:// URL gives the PostgreSQL store, anything else is an SQLite file path."""
    if database.startswith(("postgresql://", "postgres://")):
        return PostgresCountyStore(database)
    return SqliteCountyStore(database)
