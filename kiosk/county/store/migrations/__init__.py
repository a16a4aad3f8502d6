"""Versioned migrations, one list per dialect (sqlite.py, postgres.py).

``county_schema`` records each version applied and when. A database made before versions
existed (its tables made by ``CREATE TABLE IF NOT EXISTS`` at every start) has no
``county_schema``: the first migrations are written so they pass over such tables, and the
later ones bring it up to date. Each migration runs in its own transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kiosk.county.store.base import Connection

VERSION_TABLE = ("CREATE TABLE IF NOT EXISTS county_schema (version INTEGER PRIMARY KEY, "
                 "name TEXT NOT NULL, applied_at TEXT NOT NULL)")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    run: Callable[[Connection], object]


def statements(*sql: str) -> Callable[[Connection], None]:
    """A migration made of plain statements, run one by one."""
    def run(conn: Connection) -> None:
        for statement in sql:
            conn.execute(statement)
    return run


def applied(conn: Connection) -> set[int]:
    return {row[0] for row in conn.execute("SELECT version FROM county_schema").fetchall()}


def migrate(conn: Connection, migrations: Sequence[Migration], now: str,
            begin: str = "BEGIN") -> list[int]:
    """Apply the migrations not yet applied, in order, each in one transaction on an
    autocommit connection; return the versions applied now."""
    conn.execute(VERSION_TABLE)
    done, ran = applied(conn), []
    for migration in sorted(migrations, key=lambda m: m.version):
        if migration.version in done:
            continue
        conn.execute(begin)
        try:
            migration.run(conn)
            conn.execute("INSERT INTO county_schema (version, name, applied_at) VALUES (?, ?, ?)",
                         (migration.version, migration.name, now))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        ran.append(migration.version)
    return ran


def latest(migrations: Sequence[Migration]) -> int:
    return max(m.version for m in migrations)
