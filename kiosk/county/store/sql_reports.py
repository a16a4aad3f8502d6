"""The service reports' SQL: ``SqlReportRows`` is the projection's ``ReportRows`` on one write
transaction, ``ReportQueries`` what reports and rebuild checks read (kiosk/county/domain/
report_rows.py says what each row is; migrations/reports.py makes the tables). The same
statements on SQLite and PostgreSQL ('?' placeholders).

Reads are in bulk by the ids a batch touches, ``IN (...)`` in chunks, so a batch costs a few
round trips, never one per event (PostgreSQL pays for each)."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

from kiosk.county.domain.report_rows import Changes, ConsentRow, ItemRow, ResidentRow, SeenKey, VisitRow
from kiosk.county.domain.reports import CountKey
from kiosk.county.store.base import Connection
from kiosk.county.store.migrations.reports import DROP, read_models

CHUNK = 300  # ids per IN (...): well under SQLite's and PostgreSQL's parameter limits
CONSENT = "consent_in_force"
COUNT_COLUMNS = "station_id, indicator, plan, item, category, month, n"
VISIT_COLUMNS = ("visit_id, station_id, seq, wall_time, item_id, plan, visit_date, outcome, "
                 "corrects, counted")
ITEM_COLUMNS = "item_id, station_id, plan, code, latest, declined, counted"
# Every read model table and the order that makes its dump comparable (rebuild == incremental).
DUMPS = {
    "report_positions": "station_id",
    "report_residents": "resident_id",
    "report_consents": "station_id, seq",
    "report_items": "item_id",
    "report_visits": "visit_id",
    "report_seen": "station_id, month, resident_id",
    "report_counts": "month, station_id, indicator, plan, item, category",
}


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _marks(n: int, width: int = 1) -> str:
    one = "?" if width == 1 else "(" + ", ".join("?" * width) + ")"
    return ", ".join([one] * n)


class SqlReportRows:
    """``ReportRows`` on a transaction's connection: what one batch reads and writes."""

    def __init__(self, conn: Connection):
        self._conn = conn

    def _rows_in(self, sql: str, ids: Collection[str]) -> list[tuple]:
        found: list[tuple] = []
        for chunk in _chunks(sorted(ids)):
            found += self._conn.execute(sql.format(ids=_marks(len(chunk))), list(chunk)).fetchall()
        return found

    def position(self, station_id: str) -> int:
        row = self._conn.execute("SELECT seq FROM report_positions WHERE station_id = ?",
                                 (station_id,)).fetchone()
        return row[0] if row else 0

    def residents(self, ids: Collection[str]) -> dict[str, ResidentRow]:
        rows = self._rows_in("SELECT resident_id, home, counted FROM report_residents "
                             "WHERE resident_id IN ({ids})", ids)
        return {r[0]: ResidentRow(*r) for r in rows}

    def consents(self, resident_ids: Collection[str]) -> dict[str, list[ConsentRow]]:
        rows = self._rows_in("SELECT resident_id, station_id, seq, wall_time, given FROM "
                             "report_consents WHERE resident_id IN ({ids})", resident_ids)
        found: dict[str, list[ConsentRow]] = {}
        for r in rows:
            found.setdefault(r[0], []).append(ConsentRow(r[0], r[1], r[2], r[3], bool(r[4])))
        return found

    def items(self, ids: Collection[str]) -> dict[str, ItemRow]:
        rows = self._rows_in(f"SELECT {ITEM_COLUMNS} FROM report_items WHERE item_id IN ({{ids}})",
                             ids)
        return {r[0]: ItemRow(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6]) for r in rows}

    def visits_of_items(self, item_ids: Collection[str]) -> dict[str, list[VisitRow]]:
        rows = self._rows_in(f"SELECT {VISIT_COLUMNS} FROM report_visits WHERE item_id IN "
                             "({ids})", item_ids)
        found: dict[str, list[VisitRow]] = {}
        for r in rows:
            found.setdefault(r[4], []).append(VisitRow(*r))
        return found

    def seen(self, keys: Collection[SeenKey]) -> set[SeenKey]:
        found: set[SeenKey] = set()
        for chunk in _chunks(sorted(keys)):
            # a join from the keys, not "(...) IN (VALUES ...)": SQLite scans the whole
            # table for that (seconds per batch at a million events), and looks each key up
            # by the primary key for this
            rows = self._conn.execute(
                "SELECT s.station_id, s.month, s.resident_id FROM "
                f"(VALUES {_marks(len(chunk), 3)}) AS v JOIN report_seen s ON "
                "s.station_id = v.column1 AND s.month = v.column2 AND s.resident_id = v.column3",
                [v for key in chunk for v in key]).fetchall()
            found |= {SeenKey(*r) for r in rows}
        return found

    def save(self, changes: Changes) -> None:
        conn = self._conn
        if changes.residents:
            conn.executemany(
                "INSERT INTO report_residents (resident_id, home, counted) VALUES (?, ?, ?) "
                "ON CONFLICT (resident_id) DO UPDATE SET home = excluded.home, "
                "counted = excluded.counted",
                [(r.resident_id, r.home, r.counted) for r in changes.residents.values()])
        if changes.consents:
            conn.executemany(
                "INSERT INTO report_consents (station_id, seq, resident_id, wall_time, given) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(r.station_id, r.seq, r.resident_id, r.wall_time, int(r.given))
                 for r in changes.consents])
        if changes.items:
            conn.executemany(
                f"INSERT INTO report_items ({ITEM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (item_id) DO UPDATE SET station_id = excluded.station_id, "
                "plan = excluded.plan, code = excluded.code, latest = excluded.latest, "
                "declined = excluded.declined, counted = excluded.counted",
                [(i.item_id, i.station_id, i.plan, i.code, i.latest, int(i.declined), i.counted)
                 for i in changes.items.values()])
        if changes.visits:
            conn.executemany(
                f"INSERT INTO report_visits ({VISIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (visit_id) DO UPDATE SET counted = excluded.counted",
                [(v.visit_id, v.station_id, v.seq, v.wall_time, v.item_id, v.plan, v.visit_date,
                  v.outcome, v.corrects, v.counted) for v in changes.visits.values()])
        if changes.seen:
            conn.executemany("INSERT INTO report_seen (station_id, month, resident_id) "
                             "VALUES (?, ?, ?) ON CONFLICT DO NOTHING", sorted(changes.seen))
        if changes.counts:
            self._add_counts(changes.counts)
        if changes.positions:
            conn.executemany("INSERT INTO report_positions (station_id, seq) VALUES (?, ?) "
                             "ON CONFLICT (station_id) DO UPDATE SET seq = excluded.seq",
                             sorted(changes.positions.items()))

    def _add_counts(self, counts: dict[CountKey, int]) -> None:
        """Add the deltas; a count back at 0 is no row (as a rebuild would leave it); and
        each year whose counts moved gets a new version token (its published report is old)."""
        keys = sorted(counts)
        self._conn.executemany(
            "INSERT INTO report_counts (month, station_id, indicator, plan, item, category, n) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (month, station_id, indicator, plan, item, "
            "category) DO UPDATE SET n = report_counts.n + excluded.n",
            [(k.month, k.station_id, k.indicator, k.plan, k.item, k.category, counts[k])
             for k in keys])
        self._conn.executemany(
            "DELETE FROM report_counts WHERE month = ? AND station_id = ? AND indicator = ? AND "
            "plan = ? AND item = ? AND category = ? AND n = 0",
            [(k.month, k.station_id, k.indicator, k.plan, k.item, k.category) for k in keys])
        years = sorted({k.month[:4] for k in keys})
        consent = {k.month[:4] for k in keys if k.indicator == CONSENT}
        token = secrets.token_hex(8)
        self._conn.executemany(
            "INSERT INTO report_versions (year, counts, consent) VALUES (?, ?, ?) ON CONFLICT "
            "(year) DO UPDATE SET counts = excluded.counts, consent = CASE WHEN excluded.consent "
            "= '' THEN report_versions.consent ELSE excluded.consent END",
            [(year, token, token if year in consent else "") for year in years])


class ReportQueries:
    """What the reports read (the store's reader, or a transaction's connection)."""

    def _reports_conn(self) -> Connection:
        raise NotImplementedError

    def counts(self, first: str, last: str) -> Iterable[tuple[CountKey, int]]:
        """``ReportCounts``: every bottom count of the months ``first`` to ``last``."""
        rows = self._reports_conn().execute(
            f"SELECT {COUNT_COLUMNS} FROM report_counts WHERE month BETWEEN ? AND ?",
            (first, last)).fetchall()
        return [(CountKey(*r[:6]), r[6]) for r in rows]

    def counts_before(self, indicator: str, month: str) -> Iterable[tuple[CountKey, int]]:
        rows = self._reports_conn().execute(
            f"SELECT {COUNT_COLUMNS} FROM report_counts WHERE month < ? AND indicator = ?",
            (month, indicator)).fetchall()
        return [(CountKey(*r[:6]), r[6]) for r in rows]

    def report_positions(self) -> dict[str, int]:
        return dict(self._reports_conn().execute(
            "SELECT station_id, seq FROM report_positions").fetchall())

    def report_versions(self) -> dict[str, tuple[str, str]]:
        """year -> (its counts' version, its consent counts' version)."""
        return {r[0]: (r[1], r[2]) for r in self._reports_conn().execute(
            "SELECT year, counts, consent FROM report_versions ORDER BY year").fetchall()}

    def published_stamp(self, year: int) -> tuple[str, str] | None:
        """(fingerprint, published_at) of the year's stored report, without its body."""
        row = self._reports_conn().execute("SELECT fingerprint, published_at FROM "
                                           "report_published WHERE year = ?", (year,)).fetchone()
        return (row[0], row[1]) if row else None

    def published(self, year: int) -> tuple[str, str, bytes] | None:
        row = self._reports_conn().execute("SELECT fingerprint, published_at, body FROM "
                                           "report_published WHERE year = ?", (year,)).fetchone()
        return (row[0], row[1], bytes(row[2])) if row else None

    def report_state(self, key: str) -> str | None:
        """``TIMEZONE``: the zone the read models were counted in; ``REBUILDING``: when a
        rebuild began, while it runs (None: not said)."""
        row = self._reports_conn().execute("SELECT value FROM county_meta WHERE key = ?",
                                           (key,)).fetchone()
        return row[0] if row else None

    def report_tables(self) -> dict[str, list[tuple]]:
        """Every read model table, each in a fixed order (a rebuild gives the same)."""
        conn = self._reports_conn()
        return {table: [tuple(r) for r in conn.execute(
            f"SELECT * FROM {table} ORDER BY {order}").fetchall()]
            for table, order in DUMPS.items()}


class ReportReads(ReportQueries):
    """The store's report reads (kiosk.county.domain.report_rows.ReportCounts among them)."""

    def __init__(self, conn: Connection):
        self._conn = conn

    def _reports_conn(self) -> Connection:
        return self._conn


class ReportWrites:
    """Mixed into SqlWriting: the projection's rows, a rebuild's reset, a published report."""

    _conn: Any
    dialect: str

    def report_rows(self) -> SqlReportRows:
        return SqlReportRows(self._conn)

    def reset_reports(self) -> None:
        """Drop the read models' tables and make them again, empty, as the migration did.
        The published reports stay: pages serve them while the rebuild runs."""
        for statement in (*DROP, *read_models(self.dialect)):
            self._conn.execute(statement)

    def set_report_state(self, key: str, value: str | None) -> None:
        if value is None:
            self._conn.execute("DELETE FROM county_meta WHERE key = ?", (key,))
            return
        self._conn.execute("INSERT INTO county_meta (key, value) VALUES (?, ?) ON CONFLICT (key) "
                           "DO UPDATE SET value = excluded.value", (key, value))

    def publish_report(self, year: int, fingerprint: str, at: str, body: bytes) -> None:
        self._conn.execute("INSERT INTO report_published (year, fingerprint, published_at, body) "
                           "VALUES (?, ?, ?, ?) ON CONFLICT (year) DO UPDATE SET fingerprint = "
                           "excluded.fingerprint, published_at = excluded.published_at, "
                           "body = excluded.body", (year, fingerprint, at, body))
