"""The county's storage: stations, their events, forks, successions, the roster's memory
(base.py says what a store offers; sql.py holds the SQL; sqlite.py and postgres.py connect)."""

from __future__ import annotations

from kiosk.county.domain.clock import Clock, stamp
from kiosk.county.store.sql import SqlCountyStore


def is_postgres(database: str) -> bool:
    return database.startswith(("postgresql://", "postgres://"))


def open_store(database: str, clock: Clock) -> SqlCountyStore:
    """A postgresql:// URL gives the PostgreSQL store, anything else an SQLite file path;
    either is migrated to the latest version first."""
    now = stamp(clock.now())
    if is_postgres(database):
        from kiosk.county.store.postgres import PostgresBackend
        return SqlCountyStore(PostgresBackend(database, now))
    from kiosk.county.store.sqlite import SqliteBackend
    return SqlCountyStore(SqliteBackend(database, now))
