"""Tables whose SQL is the same on both dialects (TEXT, INTEGER, BIGINT and ON CONFLICT mean
the same in SQLite and PostgreSQL)."""

from __future__ import annotations

ROSTER_RULES = (
    """CREATE TABLE IF NOT EXISTS roster_cards (
        card_no TEXT PRIMARY KEY,
        station_id TEXT NOT NULL,
        holder_id TEXT NOT NULL,
        role TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS roster_served (
        resident_id TEXT NOT NULL,
        station_id TEXT NOT NULL,
        home INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (resident_id, station_id))""",
    """CREATE TABLE IF NOT EXISTS station_revocations (
        station_id TEXT PRIMARY KEY,
        revoked_at TEXT NOT NULL,
        trusted_seq BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS roster_refused (
        station_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        type TEXT NOT NULL,
        reason TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (station_id, seq))""",
)
SUCCESSIONS = (
    """CREATE TABLE IF NOT EXISTS successions (
        station_id TEXT NOT NULL,
        public_key TEXT NOT NULL,
        previous_key TEXT NOT NULL,
        county_time TEXT NOT NULL,
        signature TEXT NOT NULL,
        taken_seq BIGINT,
        PRIMARY KEY (station_id, public_key))""",
)
# Version 6 (issue 24): home stations, where her card was seen, the index of what is about her
# (read models of kiosk.county.projections.homes, filled by a rebuild on upgrade), the cards'
# status for visitor lookups, and the lookups themselves (counted per station for the limit).
HOME_STATIONS = (
    """CREATE TABLE IF NOT EXISTS resident_homes (
        resident_id TEXT PRIMARY KEY,
        station_id TEXT NOT NULL,
        registered_by TEXT,
        moved_order TEXT)""",
    """CREATE TABLE IF NOT EXISTS resident_presence (
        resident_id TEXT NOT NULL,
        station_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (resident_id, station_id))""",
    """CREATE TABLE IF NOT EXISTS resident_entries (
        resident_id TEXT NOT NULL,
        station_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        received_at TEXT NOT NULL,
        PRIMARY KEY (resident_id, station_id, seq))""",
    "CREATE INDEX IF NOT EXISTS resident_entries_order ON resident_entries (resident_id, "
    "received_at)",
    "CREATE INDEX IF NOT EXISTS roster_cards_holder ON roster_cards (holder_id)",
    "INSERT INTO county_meta (key, value) VALUES ('projection_rebuild:home_stations', 'pending') "
    "ON CONFLICT (key) DO NOTHING",
)
# roster_cards' new columns: (name, type); each dialect adds them only where missing (a database
# from before versioned migrations runs every migration again over its tables).
CARD_COLUMNS = (("revoked", "INTEGER NOT NULL DEFAULT 0"), ("issued_seq", "BIGINT"))
VISITOR_LOOKUPS = """CREATE TABLE IF NOT EXISTS visitor_lookups (
        id {id},
        station_id TEXT NOT NULL,
        at TEXT NOT NULL,
        card_no TEXT NOT NULL,
        resident_id TEXT,
        tap_seq BIGINT NOT NULL,
        outcome TEXT NOT NULL)"""
LOOKUP_INDEXES = (
    "CREATE INDEX IF NOT EXISTS visitor_lookups_station ON visitor_lookups (station_id, at)",
    "CREATE UNIQUE INDEX IF NOT EXISTS visitor_lookups_tap ON visitor_lookups (station_id, "
    "tap_seq) WHERE outcome = 'answered'",
)
