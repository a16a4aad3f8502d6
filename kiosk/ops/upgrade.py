"""Database migrations for an in-place upgrade (`kiosk migrate`, run by `setup.sh install`).

The new release migrates the database while the station is stopped (while it runs, the
station holds the database's one writer and the command refuses: StationRunning). A copy is taken first,
through SQLite's backup API so the WAL is included; if any migration fails, the copy is put
back, so the previous release, which still runs, finds the database exactly as it left it.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils.migrations import Migrations

from kiosk.errors import StoreError
from kiosk.store.database import connect_copy, has_tables
from kiosk.store.migrations import migrations as kiosk_migrations
from kiosk.store.writer import Writer

log = logging.getLogger(__name__)

KEEP_BACKUPS = 3


@dataclass(frozen=True)
class MigrationReport:
    applied: list[str]
    backup: Path | None


def migrate_with_backup(database: Path, backups: Path,
                        migrations: Migrations = kiosk_migrations) -> MigrationReport:
    """Apply pending migrations; on failure restore the pre-upgrade copy and raise StoreError."""
    database = Path(database)
    writer = Writer.open(database, migrate=False)  # StationRunning while the station runs
    db = writer.db
    try:
        pending = [m.name for m in migrations.pending(db)]
        if not pending:
            return MigrationReport([], None)
        backup = _backup(db.conn, backups, pending[0]) if has_tables(db.conn) else None
        try:
            migrations.apply(db)
        except Exception as exc:  # whatever broke, the old release must get its database back
            log.error("migration failed, restoring %s: %s", backup, exc)
            if backup is not None:
                saved = connect_copy(backup)
                try:
                    _copy(saved, db.conn)
                finally:
                    saved.close()
            raise StoreError(f"migration failed ({exc}); the database is as it was before "
                             f"the upgrade{f' (copy kept in {backup})' if backup else ''}") from exc
        _prune(backups)
        return MigrationReport(pending, backup)
    finally:
        writer.close()


def _backup(conn: sqlite3.Connection, backups: Path, first_pending: str) -> Path:
    backups.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = backups / f"kiosk-{stamp}-before-{first_pending}.sqlite"
    target = connect_copy(path)
    try:
        _copy(conn, target)
    finally:
        target.close()
    path.chmod(0o600)
    return path


def _copy(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    source.backup(target)
    target.commit()


def _prune(backups: Path) -> None:
    """Upgrade copies hold residents' records: keep only the last few."""
    for old in sorted(backups.glob("kiosk-*-before-*.sqlite"))[:-KEEP_BACKUPS]:
        old.unlink()
