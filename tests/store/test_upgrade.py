"""`kiosk migrate` for in-place upgrades (issue 6): pending migrations run after a copy is
taken; a failing migration puts the copy back, so the previous release finds its database
exactly as it left it."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner
from sqlite_utils.migrations import Migrations

from kiosk.cli.main import main
from kiosk.errors import StoreError
from kiosk.ops.upgrade import migrate_with_backup
from kiosk.store.database import connect_writer as connect
from kiosk.store.database import open_database
from kiosk.store.migrations import migrations

NAMES = [m.name for m in migrations._migrations]


def old_database(path):
    db = connect(path)
    migrations.apply(db, stop_before=NAMES[-1])
    db.execute("INSERT INTO events (seq, id, v, station_id, type, payload, wall_time, boot_id, "
               "mono_ns, prev_hash, hash, signature) VALUES (1, 'e1', 1, 's', 't', '{}', 'w', "
               "'b', 1, 'p', 'h', 'sig')")
    db.conn.commit()
    db.conn.close()


def dump(path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_migrate_takes_a_copy_then_upgrades(tmp_path):
    old_database(tmp_path / "kiosk.db")
    before = dump(tmp_path / "kiosk.db")
    report = migrate_with_backup(tmp_path / "kiosk.db", tmp_path / "backups")
    assert report.applied == [NAMES[-1]]
    assert report.backup and dump(report.backup) == before
    assert report.backup.stat().st_mode & 0o077 == 0  # residents' records: kiosk only
    assert migrate_with_backup(tmp_path / "kiosk.db", tmp_path / "backups").applied == []


def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path):
    old_database(tmp_path / "kiosk.db")
    before = dump(tmp_path / "kiosk.db")
    broken = Migrations("kiosk")
    for m in migrations._migrations[:-1]:
        broken(name=m.name)(m.fn)

    @broken(name=NAMES[-1])
    def succeeds(db):  # the new release's first migration works ...
        db.execute("CREATE TABLE first_new (x)")

    @broken()
    def m999_breaks(db):
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("a bug in the new release")

    with pytest.raises(StoreError, match="as it was before the upgrade"):
        migrate_with_backup(tmp_path / "kiosk.db", tmp_path / "backups", broken)
    assert dump(tmp_path / "kiosk.db") == before  # ... and is undone with the rest
    assert open_database(tmp_path / "kiosk.db").execute("SELECT id FROM events").fetchall() == [("e1",)]


def test_kiosk_migrate_command(tmp_path):
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[station]\nid = "st-01"\ndata_dir = "{tmp_path}"\n')
    old_database(tmp_path / "kiosk.db")
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(config), "migrate"])
    assert result.exit_code == 0 and "Database migrated" in result.output, result.output
    assert "Database is up to date" in runner.invoke(main, ["--config", str(config), "migrate"]).output
