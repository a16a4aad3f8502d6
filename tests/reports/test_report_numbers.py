"""Report numbers against an independent count straight from the events (tests/reports/
oracle.py), for random prefixes of random signed station histories fed in random batches
and station interleavings; and the incremental read models against a rebuild."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.county.domain.published import publish
from kiosk.county.projections.report_rows import MemoryReportRows
from kiosk.county.projections.reports import ReportProjection
from tests.reports.cells import cell_value
from tests.reports.histories import EVENTS, STATIONS, county_events
from tests.reports.oracle import count

MONTHS = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)]


def incremental(chains, rng: random.Random, batch: int) -> MemoryReportRows:
    """Each station's chain in batches, the stations' batches interleaved at random."""
    rows, projection = MemoryReportRows(), ReportProjection()
    queues = {s: [list(c[i:i + batch]) for i in range(0, len(c), batch)] for s, c in chains.items()}
    while any(queues.values()):
        station = rng.choice(sorted(s for s, q in queues.items() if q))
        rows.save(projection.apply(rows, station, queues[station].pop(0)))
    return rows


def rebuilt(chains) -> MemoryReportRows:
    rows = MemoryReportRows()
    ReportProjection().rebuild(rows, sorted(chains),
                               lambda s, after: chains[s][after:after + 500])
    return rows


def model_counts(rows: MemoryReportRows) -> dict:
    """The read models' counts, consent steps turned into month-end stocks."""
    found = {k: n for k, n in rows.count_rows.items() if k.indicator != "consent_in_force"}
    for station in STATIONS:
        stock = 0
        for month in MONTHS:
            stock += rows.count_rows.get((station, "consent_in_force", "", "", "", month), 0)
            if stock:
                found[(station, "consent_in_force", "", "", "", month)] = stock
    return found


@settings(max_examples=12, deadline=None)
@given(seed=st.sampled_from((0, 1)), cuts=st.lists(st.integers(100, EVENTS), min_size=3, max_size=3),
       batch=st.integers(1, 300), shuffle=st.randoms(use_true_random=False),
       threshold=st.integers(2, 8))
def test_report_numbers_match_an_independent_count(seed, cuts, batch, shuffle, threshold):
    chains = {s: events[:cut] for (s, events), cut in zip(county_events(seed).items(), cuts, strict=True)}
    oracle = count(chains)
    rows = incremental(chains, shuffle, batch)
    assert model_counts(rows) == dict(oracle)
    assert rows.tables() == rebuilt(chains).tables()  # incremental == rebuild
    for year in (2025, 2026):
        report = publish(rows.counts(f"{year}-01", f"{year}-12"), year, STATIONS, threshold=threshold,
                         consent_before=rows.counts_before("consent_in_force", f"{year}-01"))
        for series in report.series:
            for row in report.rows:
                for column in report.columns[series]:
                    cell, value = report.cell(series, row, column), cell_value(oracle, STATIONS, series, row, column)
                    if isinstance(cell, int):
                        assert cell == value, (series, row, column)
                    else:  # hidden: its mark is true to the number it hides
                        assert (value < threshold) == (cell == f"<{threshold}"), (series, row, column, value)


def test_a_batch_applied_twice_counts_once():
    chains = county_events(0)
    events = chains[STATIONS[0]][:400]
    rows, projection = MemoryReportRows(), ReportProjection()
    rows.save(projection.apply(rows, STATIONS[0], events[:300]))
    rows.save(projection.apply(rows, STATIONS[0], events[200:400]))
    assert rows.tables() == rebuilt({STATIONS[0]: events}).tables()
