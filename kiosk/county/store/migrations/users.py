"""Version 5: county users, their sessions, failed logins and the county's own audit trail
(append-only). One template for both dialects: ``{id}`` is the row-id column's type."""

from __future__ import annotations

TABLES = (
    """CREATE TABLE IF NOT EXISTS county_users (
        id {id},
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        totp_secret TEXT,
        totp_last_step BIGINT,
        disabled_at TEXT,
        created_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS county_sessions (
        token_hash TEXT PRIMARY KEY,
        user_id BIGINT NOT NULL REFERENCES county_users(id),
        created_at TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        ended_at TEXT,
        address TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS county_sessions_user ON county_sessions (user_id)",
    """CREATE TABLE IF NOT EXISTS login_failures (
        id {id},
        at TEXT NOT NULL,
        account TEXT NOT NULL,
        address TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS login_failures_account ON login_failures (account, at)",
    "CREATE INDEX IF NOT EXISTS login_failures_address ON login_failures (address, at)",
    """CREATE TABLE IF NOT EXISTS county_audit (
        id {id},
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        role TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        address TEXT NOT NULL,
        detail TEXT NOT NULL)""",
)
SQLITE_TABLES = tuple(t.format(id="INTEGER PRIMARY KEY") for t in TABLES) + (
    "CREATE TRIGGER IF NOT EXISTS county_audit_no_update BEFORE UPDATE ON county_audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS county_audit_no_delete BEFORE DELETE ON county_audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
)
POSTGRES_TABLES = tuple(t.format(id="BIGSERIAL PRIMARY KEY") for t in TABLES) + (
    """CREATE OR REPLACE FUNCTION county_audit_append_only() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END; $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS county_audit_append_only ON county_audit",
    """CREATE TRIGGER county_audit_append_only BEFORE UPDATE OR DELETE ON county_audit
        FOR EACH ROW EXECUTE FUNCTION county_audit_append_only()""",
)
