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
