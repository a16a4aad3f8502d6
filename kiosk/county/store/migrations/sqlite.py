"""The county's SQLite schema, version by version."""

from __future__ import annotations

from kiosk.county.store.base import Connection
from kiosk.county.store.migrations import Migration, statements
from kiosk.county.store.migrations.data import cut_station_only
from kiosk.county.store.migrations.reports import SQLITE_TABLES as REPORT_TABLES
from kiosk.county.store.migrations.shared import (
    CARD_COLUMNS,
    HOME_STATIONS,
    LOOKUP_INDEXES,
    ROSTER_RULES,
    SUCCESSIONS,
    VISITOR_LOOKUPS,
)
from kiosk.county.store.migrations.users import SQLITE_TABLES

NO_UPDATE = ("CREATE TRIGGER IF NOT EXISTS county_events_no_update BEFORE UPDATE ON events "
             "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END")
NO_DELETE = ("CREATE TRIGGER IF NOT EXISTS county_events_no_delete BEFORE DELETE ON events "
             "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END")

BASE = statements(
    """CREATE TABLE IF NOT EXISTS stations (
        id TEXT PRIMARY KEY,
        public_key TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'enrolled',
        enrolled_at TEXT NOT NULL,
        last_sync TEXT,
        clock_offset_s REAL,
        reported_head INTEGER)""",
    """CREATE TABLE IF NOT EXISTS events (
        station_id TEXT NOT NULL REFERENCES stations(id),
        seq INTEGER NOT NULL,
        id TEXT NOT NULL,
        v INTEGER NOT NULL,
        type TEXT NOT NULL,
        payload TEXT NOT NULL,
        wall_time TEXT NOT NULL,
        boot_id TEXT NOT NULL,
        mono_ns INTEGER NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        signature TEXT NOT NULL,
        received_at TEXT NOT NULL,
        PRIMARY KEY (station_id, seq))""",
    """CREATE TABLE IF NOT EXISTS forks (
        id INTEGER PRIMARY KEY,
        station_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        event TEXT NOT NULL,
        received_at TEXT NOT NULL)""",
    "CREATE TABLE IF NOT EXISTS county_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    NO_UPDATE, NO_DELETE,
)

def home_stations(conn: Connection) -> None:
    columns = {row[1] for row in conn.execute("PRAGMA table_info(roster_cards)").fetchall()}
    for name, kind in CARD_COLUMNS:
        if name not in columns:
            conn.execute(f"ALTER TABLE roster_cards ADD COLUMN {name} {kind}")
    statements(*HOME_STATIONS, VISITOR_LOOKUPS.format(id="INTEGER PRIMARY KEY"),
               *LOOKUP_INDEXES)(conn)


MIGRATIONS = [
    Migration(1, "stations, events, forks", BASE),
    Migration(2, "roster rules", statements(*ROSTER_RULES)),
    Migration(3, "key successions", statements(*SUCCESSIONS)),
    Migration(4, "station-only fields cut", cut_station_only(
        unlock=("DROP TRIGGER county_events_no_update",), relock=(NO_UPDATE,))),
    Migration(5, "county users, sessions, login failures, audit trail", statements(*SQLITE_TABLES)),
    Migration(6, "home stations, presence, visitor lookups (issue 24)", home_stations),
    Migration(7, "report read models and published reports", statements(*REPORT_TABLES)),
]
