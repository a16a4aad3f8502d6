"""Version 7: the service reports' read models (kiosk/county/domain/report_rows.py says what
each row is), and the published reports made from them.

``report_counts`` holds only bottom cells (a station, a month, a category): totals are added
up when a report is published, so each event writes a handful of rows. ``report_versions``
changes, in the same transaction, whenever a year's counts change (a fresh random token), so
a published report knows whether it is still current, whichever process wrote the counts.
``report_published`` keeps the last suppressed report of each year (compressed JSON), so
every surface, every process and a restart serve the same one.

``kiosk-county rebuild`` drops these tables, makes them again from the same statements
(``reset``) and replays every station's stored chain. One template for both dialects."""

from __future__ import annotations

TABLES = ("report_positions", "report_residents", "report_consents", "report_items",
          "report_visits", "report_seen", "report_counts", "report_versions", "report_published")

_TEMPLATE = (
    """CREATE TABLE IF NOT EXISTS report_positions (
        station_id TEXT PRIMARY KEY,
        seq BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS report_residents (
        resident_id TEXT PRIMARY KEY,
        home TEXT NOT NULL,
        counted TEXT NOT NULL DEFAULT '')""",
    """CREATE TABLE IF NOT EXISTS report_consents (
        station_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        resident_id TEXT NOT NULL,
        wall_time TEXT NOT NULL,
        given INTEGER NOT NULL,
        PRIMARY KEY (station_id, seq))""",
    "CREATE INDEX IF NOT EXISTS report_consents_resident ON report_consents (resident_id)",
    """CREATE TABLE IF NOT EXISTS report_items (
        item_id TEXT PRIMARY KEY,
        station_id TEXT NOT NULL,
        plan TEXT NOT NULL,
        code TEXT NOT NULL,
        latest TEXT NOT NULL,
        declined INTEGER NOT NULL,
        counted TEXT NOT NULL DEFAULT '')""",
    """CREATE TABLE IF NOT EXISTS report_visits (
        visit_id TEXT PRIMARY KEY,
        station_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        wall_time TEXT NOT NULL,
        item_id TEXT NOT NULL,
        plan TEXT NOT NULL,
        visit_date TEXT NOT NULL,
        outcome TEXT NOT NULL,
        corrects TEXT,
        counted TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX IF NOT EXISTS report_visits_item ON report_visits (item_id)",
    """CREATE TABLE IF NOT EXISTS report_seen (
        station_id TEXT NOT NULL,
        month TEXT NOT NULL,
        resident_id TEXT NOT NULL,
        PRIMARY KEY (station_id, month, resident_id)){without_rowid}""",
    """CREATE TABLE IF NOT EXISTS report_counts (
        month TEXT NOT NULL,
        station_id TEXT NOT NULL,
        indicator TEXT NOT NULL,
        plan TEXT NOT NULL,
        item TEXT NOT NULL,
        category TEXT NOT NULL,
        n BIGINT NOT NULL,
        PRIMARY KEY (month, station_id, indicator, plan, item, category)){without_rowid}""",
    """CREATE TABLE IF NOT EXISTS report_versions (
        year TEXT PRIMARY KEY,
        counts TEXT NOT NULL,
        consent TEXT NOT NULL DEFAULT '')""",
    """CREATE TABLE IF NOT EXISTS report_published (
        year INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        published_at TEXT NOT NULL,
        body {blob} NOT NULL)""",
)

SQLITE_TABLES = tuple(t.format(without_rowid=" WITHOUT ROWID", blob="BLOB") for t in _TEMPLATE)
POSTGRES_TABLES = tuple(t.format(without_rowid="", blob="BYTEA") for t in _TEMPLATE)
# What a rebuild drops and makes again: the read models (the published reports stay served).
DROP = tuple(f"DROP TABLE IF EXISTS {table}" for table in TABLES if table != "report_published")


def tables(dialect: str) -> tuple[str, ...]:
    """The statements that make the read models' tables in ``dialect`` ("sqlite", "postgresql")."""
    return SQLITE_TABLES if dialect == "sqlite" else POSTGRES_TABLES


def read_models(dialect: str) -> tuple[str, ...]:
    """What a rebuild makes again after ``DROP``: every table but the published reports."""
    return tuple(t for t in tables(dialect) if "report_published" not in t)
