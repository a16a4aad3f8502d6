"""The report read models' port (``ReportRows`` and ``ReportCounts``, kiosk/county/domain/
report_rows.py), one contract for the in-memory fake, SQLite and PostgreSQL: each row kind
round-trips, counts add up and a count back at 0 leaves no row, and the projection fed the
same signed histories leaves the same tables in all three, which a rebuild gives again."""

from __future__ import annotations

import dataclasses
import random

import pytest

from kiosk.county.domain.report_rows import Changes, ConsentRow, ItemRow, ResidentRow, SeenKey, VisitRow
from kiosk.county.domain.reports import CountKey
from kiosk.county.projections.report_rows import MemoryReportRows
from kiosk.county.projections.reports import ReportProjection
from tests.reports.histories import STATIONS, county_events


class SqlRows:
    """The SQL store's ReportRows, each call in a transaction of its own, and its reads."""

    def __init__(self, store):
        self.store = store

    def __getattr__(self, name):
        if name in ("counts", "counts_before"):
            return getattr(self.store.reports(), name)
        return lambda *args: self.store.write(lambda tx: getattr(tx.report_rows(), name)(*args))

    def tables(self) -> dict[str, list[tuple]]:
        return self.store.reports().report_tables()

    def reset(self) -> None:
        self.store.write(lambda tx: tx.reset_reports())


def memory_tables(rows: MemoryReportRows) -> dict[str, list[tuple]]:
    """The fake's tables in the SQL dump's form and order (kiosk/county/store/sql_reports.py)."""
    consents = [(r.station_id, r.seq, r.resident_id, r.wall_time, int(r.given))
                for rs in rows.consent_rows.values() for r in rs]
    return {
        "report_positions": sorted(rows.positions.items()),
        "report_residents": sorted(dataclasses.astuple(r) for r in rows.resident_rows.values()),
        "report_consents": sorted(consents),
        "report_items": sorted((*dataclasses.astuple(i)[:5], int(i.declined), i.counted)
                               for i in rows.item_rows.values()),
        "report_visits": sorted(dataclasses.astuple(v) for v in rows.visit_rows.values()),
        "report_seen": sorted(rows.seen_keys),
        "report_counts": sorted((k.month, k.station_id, k.indicator, k.plan, k.item, k.category, n)
                                for k, n in rows.count_rows.items()),
    }


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def rows(request, tmp_path):
    if request.param == "memory":
        memory = MemoryReportRows()
        memory.tables = lambda: memory_tables(memory)  # type: ignore[method-assign]
        yield memory
        return
    from kiosk.county.bootstrap import open_store_at
    if request.param == "sqlite":
        database = str(tmp_path / "county.db")
    else:
        import uuid
        database = request.getfixturevalue("postgres").new_database(f"rows_{uuid.uuid4().hex[:12]}")
    store = open_store_at(database)
    yield SqlRows(store)
    store.close()


def test_each_row_kind_round_trips(rows):
    assert rows.position("st-a") == 0
    changes = Changes(
        residents={"r1": ResidentRow("r1", "st-a", "2026-01:1")},
        consents=[ConsentRow("r1", "st-a", 3, "2026-01-02T00:00:00.000000Z", True),
                  ConsentRow("r1", "st-b", 9, "2026-02-02T00:00:00.000000Z", False)],
        items={"i1": ItemRow("i1", "st-a", "prenatal", "visit-1", "2026-03-01", True, "")},
        visits={"v1": VisitRow("v1", "st-a", 5, "2026-01-03T00:00:00.000000Z", "i1", "prenatal",
                               "2026-01-03", "completed", None, "2026-01|completed"),
                "v2": VisitRow("v2", "st-b", 7, "2026-01-04T00:00:00.000000Z", "i1", "prenatal",
                               "2026-01-04", "partly_done", "v1")},
        seen={SeenKey("st-a", "2026-01", "r1"), SeenKey("", "2026-01", "r1")},
        positions={"st-a": 12, "st-b": 9})
    rows.save(changes)
    assert rows.position("st-a") == 12 and rows.position("st-b") == 9
    assert rows.residents(["r1", "r2"]) == {"r1": changes.residents["r1"]}
    assert sorted(rows.consents(["r1"])["r1"], key=lambda r: r.seq) == changes.consents
    assert rows.items(["i1", "i9"]) == changes.items
    assert sorted(rows.visits_of_items(["i1"])["i1"], key=lambda v: v.visit_id) == \
        [changes.visits["v1"], changes.visits["v2"]]
    assert rows.seen({SeenKey("st-a", "2026-01", "r1"), SeenKey("st-a", "2026-02", "r1")}) == \
        {SeenKey("st-a", "2026-01", "r1")}
    rows.save(Changes(residents={"r1": ResidentRow("r1", "st-a", "")},
                      visits={"v1": dataclasses.replace(changes.visits["v1"], counted="")}))
    assert rows.residents(["r1"])["r1"].counted == ""
    assert rows.visits_of_items(["i1"])["i1"][0].counted == ""
    many = [f"r{n}" for n in range(1000)]  # more ids than one IN (...) takes
    rows.save(Changes(residents={r: ResidentRow(r, "st-c") for r in many}))
    assert len(rows.residents(many)) == 1000


def test_counts_add_up_and_a_zero_leaves_no_row(rows):
    march = CountKey("st-a", "checkins", "", "", "", "2026-03")
    consent = CountKey("st-a", "consent_in_force", "", "", "", "2025-12")
    rows.save(Changes(counts={march: 3, consent: 2}))
    rows.save(Changes(counts={march: 2, consent: -1}))
    assert dict(rows.counts("2026-01", "2026-12")) == {march: 5}
    assert dict(rows.counts_before("consent_in_force", "2026-01")) == {consent: 1}
    rows.save(Changes(counts={march: -5}))
    assert dict(rows.counts("2026-01", "2026-12")) == {}
    assert [r for r in rows.tables()["report_counts"] if r[0] == "2026-03"] == []


def feed(rows, chains, rng: random.Random, batch: int) -> None:
    projection = ReportProjection()
    queues = {s: [list(c[i:i + batch]) for i in range(0, len(c), batch)] for s, c in chains.items()}
    while any(queues.values()):
        station = rng.choice(sorted(s for s, q in queues.items() if q))
        rows.save(projection.apply(rows, station, queues[station].pop(0)))


def test_the_projection_leaves_the_same_tables_everywhere_and_a_rebuild_gives_them_again(rows):
    chains = {s: events[:700] for s, events in county_events(0).items()}
    feed(rows, chains, random.Random(5), 90)
    expected = MemoryReportRows()
    feed(expected, chains, random.Random(8), 500)  # other batches, another interleaving
    assert rows.tables() == memory_tables(expected)
    incremental = rows.tables()
    if isinstance(rows, SqlRows):
        rows.reset()
        assert all(not table for table in rows.tables().values())
        projection = ReportProjection()
        projection.rebuild(rows, STATIONS, lambda s, after: chains[s][after:after + 250])
        assert rows.tables() == incremental
