"""A differencing attacker: every number of a published report (every surface shows exactly
these: tests/reports/test_surfaces.py), every sum the tables publish (stations against the
county, months against quarters and the year, a breakdown against its total), solved as one
linear system. Returns the hidden cells whose value the system pins down.

Exact arithmetic modulo a large prime (2**61 - 1): every coefficient is 0 or +-1, so a cell
determined over the rationals is determined here and vice versa (but for a chance of the
order of the prime's inverse)."""

from __future__ import annotations

from collections import defaultdict

from kiosk.county.domain.periods import months_of_quarter
from kiosk.county.domain.published import PublishedReport, SeriesKey
from kiosk.county.domain.reports import BY_KEY, COUNTY, DISTINCT, FLOW

P = 2**61 - 1
Cell = tuple[SeriesKey, str, str]


def sums(report: PublishedReport) -> list[tuple[Cell, list[Cell]]]:
    """(total, parts) of every additive relation between published cells."""
    out: list[tuple[Cell, list[Cell]]] = []
    families: dict[tuple[str, str, str], list[SeriesKey]] = defaultdict(list)
    for key in report.series:
        families[(key.indicator, key.plan, key.item)].append(key)
    for (indicator_key, _plan, _item), keys in families.items():
        indicator = BY_KEY[indicator_key]
        columns = report.columns[keys[0]]
        for key in keys:
            for column in columns:
                if indicator.county != DISTINCT:
                    out.append(((key, COUNTY, column), [(key, s, column) for s in report.stations]))
            if indicator.periods == FLOW:
                year = str(report.year)
                for row in report.rows:
                    quarters = [c for c in columns if "-Q" in c]
                    out.append(((key, row, year), [(key, row, q) for q in quarters]))
                    for q in quarters:
                        out.append(((key, row, q), [(key, row, m) for m in months_of_quarter(q)]))
        if indicator.total:
            total = next(k for k in keys if k.category == indicator.total.key)
            parts = [k for k in keys if k is not total]
            for row in report.rows:
                for column in columns:
                    out.append(((total, row, column), [(k, row, column) for k in parts]))
    return out


def recovered(report: PublishedReport) -> set[Cell]:
    """The hidden cells the published sums determine exactly."""
    unknown: dict[Cell, int] = {}
    rows: list[dict[int, int]] = []
    for total, parts in sums(report):
        row: dict[int, int] = {}
        for cell, sign in [(total, -1)] + [(p, 1) for p in parts]:
            if report.hidden(*cell):
                index = unknown.setdefault(cell, len(unknown))
                row[index] = (row.get(index, 0) + sign) % P
        row = {k: v for k, v in row.items() if v}
        if row:
            rows.append(row)
    pivots: dict[int, dict[int, int]] = {}  # pivot column -> its reduced row
    for row in rows:
        row = dict(row)
        for col in sorted(row):
            if col in pivots and col in row:
                factor = row[col]
                for k, v in pivots[col].items():
                    row[k] = (row.get(k, 0) - factor * v) % P
                row = {k: v for k, v in row.items() if v}
        if not row:
            continue
        col = min(row)
        inverse = pow(row[col], P - 2, P)
        row = {k: v * inverse % P for k, v in row.items()}
        for other in pivots.values():  # keep every stored row free of the new pivot
            if col in other:
                factor = other[col]
                for k, v in row.items():
                    other[k] = (other.get(k, 0) - factor * v) % P
                for k in [k for k, v in other.items() if not v]:
                    del other[k]
        pivots[col] = row
    names = {index: cell for cell, index in unknown.items()}
    return {names[col] for col, row in pivots.items() if len(row) == 1}


def pinned_by_marks(report: PublishedReport) -> set[Cell]:
    """The hidden cells an attacker pins with the marks as well: "<5" says 0 to 4, "*" says 5
    or more; each published sum then narrows its hidden cells' ranges (a total of 14 over two
    cells that read "<8": both are 7), and every narrowed range narrows the other sums it is
    in, until nothing narrows. Interval propagation, written apart from the suppression."""
    top = 10**12
    t = report.threshold
    equations = sums(report)
    ranges: dict[Cell, tuple[int, int]] = {}
    for total, parts in equations:
        for cell in (total, *parts):
            mark = report.cell(*cell)
            if isinstance(mark, str):
                ranges[cell] = (0, t - 1) if mark.startswith("<") else (t, top)

    def span(cell: Cell) -> tuple[int, int]:
        if cell in ranges:
            return ranges[cell]
        value = report.cell(*cell)
        assert isinstance(value, int)
        return value, value

    changed = True
    while changed:
        changed = False
        for total, parts in equations:
            lo_t, hi_t = span(total)
            spans = [span(p) for p in parts]
            low, high = sum(lo for lo, _ in spans), sum(hi for _, hi in spans)
            narrowed = [(total, max(lo_t, low), min(hi_t, high))]
            narrowed += [(p, max(lo, lo_t - (high - hi)), min(hi, hi_t - (low - lo)))
                         for p, (lo, hi) in zip(parts, spans, strict=True)]
            for cell, lo, hi in narrowed:
                if cell in ranges and (lo, hi) != ranges[cell]:
                    assert lo <= hi, (cell, lo, hi)  # the published numbers are consistent
                    ranges[cell] = (lo, hi)
                    changed = True
    return {cell for cell, (lo, hi) in ranges.items() if lo == hi}
