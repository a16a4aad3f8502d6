"""One published report: every number every surface shows, suppressed once.

``publish(counts, ...)`` turns a year's monthly counts (the read models) into a
``PublishedReport``: for each indicator of kiosk/county/domain/reports.py, one table per
care plan or item where it says so, with the stations and the county as rows, months,
quarters and the year as columns, and its breakdown's categories and total as series.
Every table goes through the suppression once (kiosk/county/domain/suppression.py); the
overview, the station pages, the CSV, the printed summary and the charts all read their
cells from this one value (``text``), so no surface can show a number another hides.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from kiosk.county.domain.periods import months_of_year, quarter_of, quarters_of_year
from kiosk.county.domain.reports import BY_KEY, COUNTY, DISTINCT, FLOW, INDICATORS, CountKey, Indicator
from kiosk.county.domain.suppression import Dim, Table, marks, suppress

DEFAULT_THRESHOLD = 5


class SeriesKey(NamedTuple):
    """One published series: an indicator, its plan and item where it has them, and a
    category of its breakdown (its total included); "" where unused."""

    indicator: str
    plan: str = ""
    item: str = ""
    category: str = ""


@dataclass(frozen=True)
class Freshness:
    """How up to date a station's numbers are (never suppressed: no resident in it)."""

    station_id: str
    last_sync: str | None
    stored: int
    reported_head: int | None
    counted: int | None = None  # the events of its chain this report counts (its position)

    @property
    def not_received(self) -> int | None:
        return None if self.reported_head is None else max(self.reported_head - self.stored, 0)


@dataclass(frozen=True)
class PublishedReport:
    year: int
    threshold: int
    stations: tuple[str, ...]
    series: tuple[SeriesKey, ...]  # in the order every surface lists them
    columns: Mapping[SeriesKey, tuple[str, ...]]  # months (and quarters and the year: FLOW)
    cells: Mapping[tuple[SeriesKey, str, str], int | str]  # shown value, or the hidden mark
    freshness: tuple[Freshness, ...] = ()
    plan_names: Mapping[str, str] = field(default_factory=dict)
    item_names: Mapping[tuple[str, str], str] = field(default_factory=dict)
    counted: Mapping[str, int] = field(default_factory=dict)  # each station's events it counts

    @property
    def rows(self) -> tuple[str, ...]:
        return (*self.stations, COUNTY)

    def cell(self, series: SeriesKey, row: str, column: str) -> int | str:
        """A number, or the text that stands for a hidden one ("<5", "*")."""
        return self.cells.get((series, row, column), 0)

    def text(self, series: SeriesKey, row: str, column: str) -> str:
        return str(self.cell(series, row, column))

    def hidden(self, series: SeriesKey, row: str, column: str) -> bool:
        return isinstance(self.cell(series, row, column), str)


@functools.lru_cache(maxsize=64)
def flat_dim(labels: tuple[str, ...], total: str | None) -> Dim:
    """One Dim per set of labels, shared by every table (its moves are worked out once)."""
    return Dim.flat(labels, total)


@functools.lru_cache(maxsize=16)
def period_dim(year: int, flow: bool) -> Dim:
    """Months, then (FLOW) quarters and the year, each summing the ones below it."""
    months = months_of_year(year)
    if not flow:
        return Dim.flat(months, None)
    quarters = quarters_of_year(year)
    labels = (*months, *quarters, str(year))
    parent = (*(12 + quarters.index(quarter_of(m)) for m in months), *(16 for _ in quarters), -1)
    return Dim(labels, parent)


@dataclass
class _Family:
    """One table before suppression: its series share stations and columns."""

    indicator: Indicator
    plan: str
    item: str
    categories: tuple[str, ...]  # ("",) when the indicator has no breakdown
    total: str | None  # the breakdown's total category
    leaves: dict[tuple[int, int, int], int] = field(default_factory=dict)
    county: dict[tuple[int, int], int] = field(default_factory=dict)  # DISTINCT: the county's own


def publish(counts: Iterable[tuple[CountKey, int]], year: int, stations: Sequence[str], *,
            consent_before: Iterable[tuple[CountKey, int]] = (),
            threshold: int = DEFAULT_THRESHOLD, plans: Sequence[tuple[str, Sequence[str]]] = (),
            plan_names: Mapping[str, str] | None = None,
            item_names: Mapping[tuple[str, str], str] | None = None,
            freshness: Sequence[Freshness] = (),
            memo: Mapping[tuple, dict[tuple[int, ...], str]] | None = None,
            memo_out: dict[tuple, dict[tuple[int, ...], str]] | None = None) -> PublishedReport:
    """The year's report. ``plans``: (plan, item codes) in the plan file's order, listed even
    when nothing was counted; plans and items met only in the counts follow, sorted.
    ``memo``: the tables' suppressions of an earlier publication, by their counts (the
    suppression is deterministic: a table whose counts did not move is suppressed the same,
    so it is not worked out again); ``memo_out`` is filled with this publication's."""
    if threshold < 2:
        raise ValueError("the suppression threshold must be at least 2")
    rows = tuple(sorted(set(stations)))
    index = {s: n for n, s in enumerate(rows)}
    months = months_of_year(year)
    counts = [(k, n) for k, n in counts if k.month in months and (k.station_id in index
                                                                    or k.station_id == COUNTY)]
    plan_order = _plan_order(plans, counts)
    families = _families(plan_order)
    for key, n in counts:
        _place(families, index, months, key, n)
    _consent_stock(families[("consent_in_force", "", "")], index, months, consent_before)
    series: list[SeriesKey] = []
    columns: dict[SeriesKey, tuple[str, ...]] = {}
    cells: dict[tuple[SeriesKey, str, str], int | str] = {}
    for family in families.values():
        _publish_family(family, year, rows, threshold, series, columns, cells, memo, memo_out)
    return PublishedReport(year, threshold, rows, tuple(series), columns, cells, tuple(freshness),
                           dict(plan_names or {}), dict(item_names or {}))


def _plan_order(plans: Sequence[tuple[str, Sequence[str]]],
                counts: list[tuple[CountKey, int]]) -> list[tuple[str, list[str]]]:
    order: dict[str, list[str]] = {plan: list(items) for plan, items in plans}
    met = sorted({(k.category if k.indicator == "enrolments" else k.plan, k.item)
                  for k, _ in counts if k.indicator in ("enrolments", "visits", "windows")})
    for plan, item in met:
        items = order.setdefault(plan, [])
        if item and item not in items:
            items.append(item)
    return list(order.items())


def _families(plans: list[tuple[str, list[str]]]) -> dict[tuple[str, str, str], _Family]:
    found: dict[tuple[str, str, str], _Family] = {}
    for indicator in INDICATORS:
        total = indicator.total.key if indicator.total else None
        categories = tuple(c.key for c in indicator.categories) or ("",)
        if indicator.breakdown == "plan":
            categories = tuple(plan for plan, _ in plans)
        if indicator.per == "plan":
            for plan, _ in plans:
                found[(indicator.key, plan, "")] = _Family(indicator, plan, "", categories, total)
        elif indicator.per == "item":
            for plan, items in plans:
                for item in items:
                    found[(indicator.key, plan, item)] = _Family(indicator, plan, item, categories,
                                                                 total)
        elif categories:
            found[(indicator.key, "", "")] = _Family(indicator, "", "", categories, total)
    return found


def _place(families: dict[tuple[str, str, str], _Family], index: Mapping[str, int],
           months: Sequence[str], key: CountKey, n: int) -> None:
    indicator = BY_KEY.get(key.indicator)
    if indicator is None:
        return
    family = families.get((key.indicator, key.plan if indicator.per else "",
                           key.item if indicator.per == "item" else ""))
    if family is None or key.category not in family.categories:
        return
    month, category = months.index(key.month), family.categories.index(key.category)
    if key.station_id == COUNTY:
        family.county[(month, category)] = family.county.get((month, category), 0) + n
    else:
        cell = (index[key.station_id], month, category)
        family.leaves[cell] = family.leaves.get(cell, 0) + n


def _consent_stock(family: _Family, index: Mapping[str, int], months: Sequence[str],
                   before: Iterable[tuple[CountKey, int]]) -> None:
    """Consent in force at each month's end: the steps before the year, then month by month."""
    steps = dict(family.leaves)
    family.leaves.clear()
    stock = {s: 0 for s in range(len(index))}
    for key, n in before:
        if key.station_id in index and key.indicator == "consent_in_force":
            stock[index[key.station_id]] += n
    for s in stock:
        for m in range(len(months)):
            stock[s] += steps.get((s, m, 0), 0)
            if stock[s]:
                family.leaves[(s, m, 0)] = stock[s]


def _publish_family(family: _Family, year: int, rows: tuple[str, ...], threshold: int,
                    series: list[SeriesKey], columns: dict[SeriesKey, tuple[str, ...]],
                    cells: dict[tuple[SeriesKey, str, str], int | str],
                    memo: Mapping[tuple, dict[tuple[int, ...], str]] | None,
                    memo_out: dict[tuple, dict[tuple[int, ...], str]] | None) -> None:
    indicator = family.indicator
    stations = flat_dim(rows, COUNTY)
    periods = period_dim(year, indicator.periods == FLOW)
    categories = flat_dim(tuple(family.categories), family.total)
    dims = (stations, periods, categories)
    values: dict[tuple[int, ...], int] = {}
    county_row = len(rows)
    for (s, m, c), n in family.leaves.items():
        up_s = (s,) if indicator.county == DISTINCT else stations.paths[s]
        for cell in itertools.product(up_s, periods.paths[m], categories.paths[c]):
            values[cell] = values.get(cell, 0) + n
    for (m, c), n in family.county.items():
        for cell in itertools.product((county_row,), periods.paths[m], categories.paths[c]):
            values[cell] = values.get(cell, 0) + n
    memo_key = (threshold, *(d.labels for d in dims), *(d.parent for d in dims),
                tuple(sorted(values.items())))
    hidden = memo.get(memo_key) if memo is not None else None
    if hidden is None:  # a table whose counts did not move keeps its suppression
        hidden = marks(suppress(Table(dims, values), threshold), threshold)
    if memo_out is not None:
        memo_out[memo_key] = hidden
    for c, category in enumerate(categories.labels):
        key = SeriesKey(indicator.key, family.plan, family.item,
                        category if indicator.breakdown else "")
        series.append(key)
        columns[key] = periods.labels
        for s, row in enumerate(stations.labels):
            for m, column in enumerate(periods.labels):
                cell = (s, m, c)
                shown = hidden.get(cell)
                value = values.get(cell, 0)
                if shown is not None or value:
                    cells[(key, row, column)] = shown if shown is not None else value

