"""A station database from a sealed backup, opened in memory and checked before anything is
asked of it (issue 23, N11).

Anyone can seal a file to the county's public key, so a backup is a stranger's database until
its chain is checked, and SQLite runs SQL that a database file carries: a view's query when
it is read, a trigger's on a write, a column's default or generated expression, an index's
expression. Following SQLite's advice for files from elsewhere ("Defense Against The Dark
Arts", sqlite.org/security.html), the copy is opened with ``trusted_schema`` off and
``cell_size_check`` on, read only, and its schema must be exactly a station's: the same
tables, indexes and triggers, with the same SQL, as a fresh database migrated through the
same migrations of this release (so a backup of an older release opens; one of a newer
release, or with a view, a trigger or an index of its own, does not). Then ``quick_check``
walks its pages. Only after that is a single row read.
"""

from __future__ import annotations

import functools
import sqlite3

from sqlite_utils import Database

from kiosk.errors import ProtocolError
from kiosk.store.database import connect_copy
from kiosk.store.migrations import migrations

MIGRATION_SET = migrations.name
LEDGER = "_sqlite_migrations"  # sqlite-utils' record of the migrations applied

Entry = tuple[str, str, str, str]  # type, name, table, SQL (whitespace folded)


def _entries(conn: sqlite3.Connection) -> set[Entry]:
    return {(type_, name, table, " ".join((sql or "").split())) for type_, name, table, sql in
            conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")}


def _known() -> list[str]:
    return [m.name for m in migrations._migrations]


@functools.lru_cache(maxsize=4)
def expected_schema(applied: tuple[str, ...]) -> frozenset[Entry]:
    """The schema of a fresh station database migrated through ``applied`` (a prefix of this
    release's migrations, in order)."""
    known = _known()
    conn = connect_copy(":memory:")
    try:
        migrations.apply(Database(conn), stop_before=known[len(applied)]
                         if len(applied) < len(known) else None)
        return frozenset(_entries(conn))
    finally:
        conn.close()


def _refuse(why: str) -> ProtocolError:
    return ProtocolError(f"the backup is not a station database: its schema {why}")


def check_schema(conn: sqlite3.Connection) -> None:
    """ProtocolError unless ``conn``'s schema is exactly a station's of this release or an
    older one. Reads sqlite_master (which runs nothing), then the migration ledger only once
    its own definition is the one sqlite-utils makes."""
    found = _entries(conn)
    ledger = {e for e in expected_schema(tuple(_known())) if e[2] == LEDGER}
    if not ledger <= found:
        raise _refuse(f"has no {LEDGER} table as a station's")
    applied = tuple(row[0] for row in conn.execute(
        f"SELECT name FROM {LEDGER} WHERE migration_set = ? ORDER BY rowid", [MIGRATION_SET]))
    known = _known()
    for position, name in enumerate(applied):
        if position >= len(known) or known[position] != name:
            raise _refuse(f"was made by a migration this release does not know ({str(name)[:60]!r})")
    expected = expected_schema(applied)
    if found != expected:
        extra = sorted(found - expected)
        missing = sorted(expected - found)
        what = (f"holds {extra[0][0]} {extra[0][1]!r}, which a station's does not" if extra
                else f"lacks {missing[0][0]} {missing[0][1]!r}")
        raise _refuse(what)


def open_station_copy(database: bytes) -> sqlite3.Connection:
    """``database`` (a backup's bytes) opened in memory, read only, once its schema is a
    station's and its pages pass ``quick_check``; ProtocolError otherwise. The caller closes
    the connection."""
    conn = connect_copy(":memory:")
    try:
        conn.execute("PRAGMA trusted_schema = OFF")  # no function with side effects from it
        conn.execute("PRAGMA cell_size_check = ON")
        conn.deserialize(database)
        conn.execute("PRAGMA query_only = ON")
        check_schema(conn)
        problems = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
        if problems != ["ok"]:
            raise ProtocolError(f"the backup's database is damaged ({'; '.join(problems)[:200]})")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ProtocolError(f"the backup is not a station database ({exc})") from None
    except BaseException:
        conn.close()
        raise
    return conn
