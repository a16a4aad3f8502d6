"""The report read models' tables, as SQL text for the store (a proposal for its
migrations: kiosk/county/store/ turns these into a versioned migration per dialect and
implements ``ReportRows`` / ``ReportCounts`` with the statements below). No driver here.

``report_counts`` holds only bottom cells (a station, a month, a category): totals are added
up when a report is read, so each event writes a handful of rows. The overview and the
station pages read one year of it (``COUNTS_BETWEEN``): with 100 stations that is a few
tens of thousands of rows by the primary key's month-leading index, never the events.
Rebuild: drop these tables (``DROP``), create them again and replay every station's chain.
"""

from __future__ import annotations

TABLES = ("report_positions", "report_residents", "report_consents", "report_items",
          "report_visits", "report_seen", "report_counts")

_COMMON = """
CREATE TABLE IF NOT EXISTS report_positions (
    station_id TEXT PRIMARY KEY,
    seq {BIG} NOT NULL
);
CREATE TABLE IF NOT EXISTS report_residents (
    resident_id TEXT PRIMARY KEY,
    home TEXT NOT NULL,
    counted TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS report_consents (
    station_id TEXT NOT NULL,
    seq {BIG} NOT NULL,
    resident_id TEXT NOT NULL,
    wall_time TEXT NOT NULL,
    given {BOOL} NOT NULL,
    PRIMARY KEY (station_id, seq)
);
CREATE INDEX IF NOT EXISTS report_consents_resident ON report_consents (resident_id);
CREATE TABLE IF NOT EXISTS report_items (
    item_id TEXT PRIMARY KEY,
    station_id TEXT NOT NULL,
    plan TEXT NOT NULL,
    code TEXT NOT NULL,
    latest TEXT NOT NULL,
    declined {BOOL} NOT NULL,
    counted TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS report_visits (
    visit_id TEXT PRIMARY KEY,
    station_id TEXT NOT NULL,
    seq {BIG} NOT NULL,
    wall_time TEXT NOT NULL,
    item_id TEXT NOT NULL,
    plan TEXT NOT NULL,
    visit_date TEXT NOT NULL,
    outcome TEXT NOT NULL,
    corrects TEXT,
    counted TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS report_visits_item ON report_visits (item_id);
CREATE TABLE IF NOT EXISTS report_seen (
    station_id TEXT NOT NULL,
    month TEXT NOT NULL,
    resident_id TEXT NOT NULL,
    PRIMARY KEY (station_id, month, resident_id)
){WITHOUT_ROWID};
CREATE TABLE IF NOT EXISTS report_counts (
    month TEXT NOT NULL,
    station_id TEXT NOT NULL,
    indicator TEXT NOT NULL,
    plan TEXT NOT NULL,
    item TEXT NOT NULL,
    category TEXT NOT NULL,
    n {BIG} NOT NULL,
    PRIMARY KEY (month, station_id, indicator, plan, item, category)
){WITHOUT_ROWID};
"""

SQLITE_SCHEMA = _COMMON.format(BIG="INTEGER", BOOL="INTEGER", WITHOUT_ROWID=" WITHOUT ROWID")
POSTGRES_SCHEMA = _COMMON.format(BIG="BIGINT", BOOL="BOOLEAN", WITHOUT_ROWID="")
DROP = "".join(f"DROP TABLE IF EXISTS {t};\n" for t in TABLES)

# Statements in the '?' style both stores use (the PostgreSQL store maps '?' to '%s').
POSITION = "SELECT seq FROM report_positions WHERE station_id = ?"
SET_POSITION = ("INSERT INTO report_positions (station_id, seq) VALUES (?, ?) "
                "ON CONFLICT (station_id) DO UPDATE SET seq = excluded.seq")
UPSERT_RESIDENT = ("INSERT INTO report_residents (resident_id, home, counted) VALUES (?, ?, ?) "
                   "ON CONFLICT (resident_id) DO UPDATE SET home = excluded.home, "
                   "counted = excluded.counted")
INSERT_CONSENT = ("INSERT INTO report_consents (station_id, seq, resident_id, wall_time, given) "
                  "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
UPSERT_ITEM = ("INSERT INTO report_items (item_id, station_id, plan, code, latest, declined, "
               "counted) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (item_id) DO UPDATE SET "
               "station_id = excluded.station_id, plan = excluded.plan, code = excluded.code, "
               "latest = excluded.latest, declined = excluded.declined, counted = excluded.counted")
UPSERT_VISIT = ("INSERT INTO report_visits (visit_id, station_id, seq, wall_time, item_id, plan, "
                "visit_date, outcome, corrects, counted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (visit_id) DO UPDATE SET counted = excluded.counted")
INSERT_SEEN = ("INSERT INTO report_seen (station_id, month, resident_id) VALUES (?, ?, ?) "
               "ON CONFLICT DO NOTHING")
ADD_COUNT = ("INSERT INTO report_counts (month, station_id, indicator, plan, item, category, n) "
             "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (month, station_id, indicator, plan, item, "
             "category) DO UPDATE SET n = report_counts.n + excluded.n")
COUNTS_BETWEEN = ("SELECT station_id, indicator, plan, item, category, month, n FROM report_counts "
                  "WHERE month BETWEEN ? AND ? AND n <> 0")
COUNTS_BEFORE = ("SELECT station_id, indicator, plan, item, category, month, n FROM report_counts "
                 "WHERE indicator = ? AND month < ? AND n <> 0")
# Bulk reads by the ids a batch touches: the store expands IN (...) to the number of ids
# (SQLite: chunks of 500; PostgreSQL: = ANY(%s) with one array).
RESIDENTS_IN = "SELECT resident_id, home, counted FROM report_residents WHERE resident_id IN ({ids})"
CONSENTS_IN = ("SELECT resident_id, station_id, seq, wall_time, given FROM report_consents "
               "WHERE resident_id IN ({ids})")
ITEMS_IN = ("SELECT item_id, station_id, plan, code, latest, declined, counted FROM report_items "
            "WHERE item_id IN ({ids})")
VISITS_OF_ITEMS_IN = ("SELECT visit_id, station_id, seq, wall_time, item_id, plan, visit_date, "
                      "outcome, corrects, counted FROM report_visits WHERE item_id IN ({ids})")
SEEN_IN = ("SELECT station_id, month, resident_id FROM report_seen WHERE "
           "(station_id, month, resident_id) IN ({triples})")
