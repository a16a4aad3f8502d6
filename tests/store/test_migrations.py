"""Migrations run at start, and upgrade a database from every older schema version."""

import pytest

from kiosk.store.database import connect_writer as connect
from kiosk.store.database import open_database, pending_migrations
from kiosk.store.migrations import migrations

NAMES = [m.name for m in migrations._migrations]


def schema(db):
    return sorted(db.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE "
                             "'sqlite_%' AND name NOT LIKE '_sqlite_migrations%'").fetchall())


def test_fresh_database_is_current(tmp_path):
    db = open_database(tmp_path / "k.db")
    assert pending_migrations(db) == []


@pytest.mark.parametrize("stop_before", NAMES[1:])
def test_upgrade_from_every_older_version(tmp_path, stop_before):
    old = connect(tmp_path / "old.db")
    migrations.apply(old, stop_before=stop_before)
    old.execute("INSERT INTO events (seq, id, v, station_id, type, payload, wall_time, boot_id, "
                "mono_ns, prev_hash, hash, signature) VALUES (1, 'e1', 1, 's', 't', '{}', 'w', "
                "'b', 1, 'p', 'h', 'sig')")
    old.conn.commit()
    old.conn.close()
    upgraded = open_database(tmp_path / "old.db")
    fresh = open_database(tmp_path / "fresh.db")
    assert schema(upgraded) == schema(fresh)
    assert upgraded.execute("SELECT id FROM events").fetchall() == [("e1",)]
    assert pending_migrations(upgraded) == []


def test_open_rejects_a_file_that_is_not_a_database(tmp_path):
    from kiosk.errors import StoreError
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError):
        open_database(bad)
