"""The county's versioned migrations: a database written by the county before versions
existed (its tables made by CREATE TABLE IF NOT EXISTS at every start, a visit note still in
full) upgrades to the latest version on SQLite and PostgreSQL, keeps its stations and events,
has its station-only fields cut, and opens again without running anything twice."""

from __future__ import annotations

import json

from kiosk.county.bootstrap import open_store_at
from kiosk.county.store.migrations import latest
from kiosk.county.store.migrations.postgres import MIGRATIONS as PG
from kiosk.county.store.migrations.sqlite import MIGRATIONS as SQLITE

# The schema kiosk/county/store.py (SQLite) and store_pg.py wrote before version 1, as written.
OLD_SQLITE = """
CREATE TABLE stations (id TEXT PRIMARY KEY, public_key TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'enrolled', enrolled_at TEXT NOT NULL, last_sync TEXT,
    clock_offset_s REAL, reported_head INTEGER);
CREATE TABLE events (station_id TEXT NOT NULL REFERENCES stations(id), seq INTEGER NOT NULL,
    id TEXT NOT NULL, v INTEGER NOT NULL, type TEXT NOT NULL, payload TEXT NOT NULL,
    wall_time TEXT NOT NULL, boot_id TEXT NOT NULL, mono_ns INTEGER NOT NULL,
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL, signature TEXT NOT NULL,
    received_at TEXT NOT NULL, PRIMARY KEY (station_id, seq));
CREATE TABLE forks (id INTEGER PRIMARY KEY, station_id TEXT NOT NULL, seq INTEGER NOT NULL,
    event TEXT NOT NULL, received_at TEXT NOT NULL);
CREATE TABLE county_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE roster_cards (card_no TEXT PRIMARY KEY, station_id TEXT NOT NULL,
    holder_id TEXT NOT NULL, role TEXT NOT NULL);
"""
OLD_PG = """
CREATE TABLE stations (id TEXT PRIMARY KEY, public_key TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'enrolled', enrolled_at TEXT NOT NULL, last_sync TEXT,
    clock_offset_s DOUBLE PRECISION, reported_head BIGINT);
CREATE TABLE events (cursor BIGSERIAL UNIQUE, station_id TEXT NOT NULL REFERENCES stations(id),
    seq BIGINT NOT NULL, id TEXT NOT NULL, v INTEGER NOT NULL, type TEXT NOT NULL,
    payload TEXT NOT NULL, wall_time TEXT NOT NULL, boot_id TEXT NOT NULL,
    mono_ns BIGINT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
    signature TEXT NOT NULL, received_at TEXT NOT NULL, PRIMARY KEY (station_id, seq));
CREATE TABLE forks (id BIGSERIAL PRIMARY KEY, station_id TEXT NOT NULL, seq BIGINT NOT NULL,
    event TEXT NOT NULL, received_at TEXT NOT NULL);
CREATE TABLE county_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE roster_cards (card_no TEXT PRIMARY KEY, station_id TEXT NOT NULL,
    holder_id TEXT NOT NULL, role TEXT NOT NULL);
"""
NOTE = "私人备注"
ROWS = [
    ("INSERT INTO stations (id, public_key, enrolled_at, last_sync) VALUES "
     "('st-old', 'ab', '2025-01-01T00:00:00+00:00', '2025-06-01T00:00:00+00:00')"),
    ("INSERT INTO events (station_id, seq, id, v, type, payload, wall_time, boot_id, mono_ns, "
     "prev_hash, hash, signature, received_at) VALUES ('st-old', 1, 'e1', 1, 'visit.logged', "
     f"'{json.dumps({'item_id': 'i1', 'note': NOTE}, ensure_ascii=False)}', "
     "'2025-06-01T00:00:00+00:00', 'b', 1, '00', 'h1', 's1', '2025-06-01T00:00:00+00:00')"),
    "INSERT INTO roster_cards VALUES ('C1', 'st-old', 'r1', 'resident')",
]


def old_database(county_database, tmp_path) -> str:
    if county_database is None:
        import sqlite3
        path = str(tmp_path / "county.db")
        conn = sqlite3.connect(path)
        conn.executescript(OLD_SQLITE + ";".join(ROWS))
        conn.close()
        return path
    import psycopg
    with psycopg.connect(county_database, autocommit=True) as conn:
        conn.execute(OLD_PG)
        for row in ROWS:
            conn.execute(row)
    return county_database


def test_an_old_county_database_upgrades_once(county_database, tmp_path):
    database = old_database(county_database, tmp_path)
    store = open_store_at(database)
    try:
        migrations = SQLITE if county_database is None else PG
        assert store.backend.migrated == list(range(1, latest(migrations) + 1))
        assert [s.id for s in store.stations()] == ["st-old"]
        (event,) = store.events("st-old")
        assert event.payload["item_id"] == "i1" and NOTE not in json.dumps(event.payload)
        assert store.write(lambda tx: tx.card("C1")) is not None  # the roster's memory kept
        assert store.station("st-old").last_sync == "2025-06-01T00:00:00+00:00"
    finally:
        store.close()
    again = open_store_at(database)
    try:
        assert again.backend.migrated == []
    finally:
        again.close()


def test_the_dialects_have_the_same_versions():
    assert [(m.version, m.name) for m in SQLITE] == [(m.version, m.name) for m in PG]
