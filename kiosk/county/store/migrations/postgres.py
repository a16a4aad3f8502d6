"""The county's PostgreSQL schema, version by version. ``events.cursor`` numbers rows in
commit order only because writers lock the table; it is kept for the version-1 roster feed
of stations not yet upgraded, and read by nothing else (docs/sync-protocol.md)."""

from __future__ import annotations

from kiosk.county.store.migrations import Migration, statements
from kiosk.county.store.migrations.data import cut_station_only
from kiosk.county.store.migrations.reports import POSTGRES_TABLES as REPORT_TABLES
from kiosk.county.store.migrations.shared import (
    CARD_COLUMNS,
    HOME_STATIONS,
    LOOKUP_INDEXES,
    ROSTER_RULES,
    SUCCESSIONS,
    VISITOR_LOOKUPS,
)
from kiosk.county.store.migrations.users import POSTGRES_TABLES

TRIGGER = "county_events_append_only"

BASE = statements(
    """CREATE TABLE IF NOT EXISTS stations (
        id TEXT PRIMARY KEY,
        public_key TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'enrolled',
        enrolled_at TEXT NOT NULL,
        last_sync TEXT,
        clock_offset_s DOUBLE PRECISION,
        reported_head BIGINT)""",
    """CREATE TABLE IF NOT EXISTS events (
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
        PRIMARY KEY (station_id, seq))""",
    """CREATE TABLE IF NOT EXISTS forks (
        id BIGSERIAL PRIMARY KEY,
        station_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        event TEXT NOT NULL,
        received_at TEXT NOT NULL)""",
    "CREATE TABLE IF NOT EXISTS county_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE OR REPLACE FUNCTION county_events_append_only() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION 'events are append-only'; END; $$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS {TRIGGER} ON events",
    f"""CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON events
        FOR EACH ROW EXECUTE FUNCTION county_events_append_only()""",
)

MIGRATIONS = [
    Migration(1, "stations, events, forks", BASE),
    Migration(2, "roster rules", statements(*ROSTER_RULES)),
    Migration(3, "key successions", statements(*SUCCESSIONS)),
    Migration(4, "station-only fields cut", cut_station_only(
        unlock=(f"ALTER TABLE events DISABLE TRIGGER {TRIGGER}",),
        relock=(f"ALTER TABLE events ENABLE TRIGGER {TRIGGER}",))),
    Migration(5, "county users, sessions, login failures, audit trail", statements(*POSTGRES_TABLES)),
    Migration(6, "home stations, presence, visitor lookups (issue 24)", statements(
        *(f"ALTER TABLE roster_cards ADD COLUMN IF NOT EXISTS {name} {kind}"
          for name, kind in CARD_COLUMNS),
        *HOME_STATIONS, VISITOR_LOOKUPS.format(id="BIGSERIAL PRIMARY KEY"), *LOOKUP_INDEXES)),
    Migration(7, "report read models and published reports", statements(*REPORT_TABLES)),
]
