"""The report read models' rows, the repository Protocol the projection writes through, and
an in-memory repository for tests.

The projection loads what a batch touches in bulk (a few queries per batch, not per event:
PostgreSQL pays a round trip for each), works on it in memory and hands back one ``Changes``
for the store to write in the same transaction as the batch. The SQL store implements
``ReportRows`` on SQLite and PostgreSQL with the tables in ``report_schema.py``.

Monthly counts hold only the bottom cells (a station, a month, a category); quarters, years,
totals and the county's sums are added up when a report is read, so a count is written once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from kiosk.county.domain.reports import CountKey

__all__ = ["CountKey", "Changes", "ReportRows", "ReportCounts", "MemoryReportRows"]


class SeenKey(NamedTuple):
    """A resident served in a month, at a station or ("") anywhere in the county."""

    station_id: str
    month: str
    resident_id: str


@dataclass(frozen=True)
class ResidentRow:
    resident_id: str
    home: str  # the station that registered her; "" while only her consent events are known
    counted: str = ""  # her consent-in-force contribution: "2026-03:1,2026-07:-1"


@dataclass(frozen=True)
class ConsentRow:
    resident_id: str
    station_id: str
    seq: int
    wall_time: str
    given: bool


@dataclass(frozen=True)
class ItemRow:
    item_id: str
    station_id: str = ""  # the enrolling station; "" while only a decline or visit is known
    plan: str = ""
    code: str = ""
    latest: str = ""  # the window's last day
    declined: bool = False
    counted: str = ""  # "2026-05|within": the window count it holds now


@dataclass(frozen=True)
class VisitRow:
    visit_id: str
    station_id: str
    seq: int
    wall_time: str
    item_id: str
    plan: str
    visit_date: str
    outcome: str
    corrects: str | None = None
    counted: str = ""  # on a first visit (not a correction): "2026-05|completed"


@dataclass
class Changes:
    """What one batch (or one rebuild step) writes, in one transaction."""

    residents: dict[str, ResidentRow] = field(default_factory=dict)  # upsert
    consents: list[ConsentRow] = field(default_factory=list)  # insert
    items: dict[str, ItemRow] = field(default_factory=dict)  # upsert
    visits: dict[str, VisitRow] = field(default_factory=dict)  # upsert
    seen: set[SeenKey] = field(default_factory=set)  # insert
    counts: dict[CountKey, int] = field(default_factory=dict)  # add to n (upsert)
    positions: dict[str, int] = field(default_factory=dict)  # set

    def add(self, key: CountKey, delta: int) -> None:
        total = self.counts.get(key, 0) + delta
        if total:
            self.counts[key] = total
        else:
            self.counts.pop(key, None)


class ReportRows(Protocol):
    """What the projection reads and writes. Every read is in bulk, by the ids a batch
    touches; ``save`` writes a batch's changes (in the caller's transaction)."""

    def position(self, station_id: str) -> int: ...
    def residents(self, ids: Collection[str]) -> dict[str, ResidentRow]: ...
    def consents(self, resident_ids: Collection[str]) -> dict[str, list[ConsentRow]]: ...
    def items(self, ids: Collection[str]) -> dict[str, ItemRow]: ...
    def visits_of_items(self, item_ids: Collection[str]) -> dict[str, list[VisitRow]]: ...
    def seen(self, keys: Collection[SeenKey]) -> set[SeenKey]: ...
    def save(self, changes: Changes) -> None: ...


class ReportCounts(Protocol):
    """What a report reads: the monthly counts of a span of months."""

    def counts(self, first: str, last: str) -> Iterable[tuple[CountKey, int]]: ...
    def counts_before(self, indicator: str, month: str) -> Iterable[tuple[CountKey, int]]: ...


class MemoryReportRows:
    """``ReportRows`` and ``ReportCounts`` in dictionaries: the fake for tests."""

    def __init__(self) -> None:
        self.positions: dict[str, int] = {}
        self.resident_rows: dict[str, ResidentRow] = {}
        self.consent_rows: dict[str, list[ConsentRow]] = {}
        self.item_rows: dict[str, ItemRow] = {}
        self.visit_rows: dict[str, VisitRow] = {}
        self.seen_keys: set[SeenKey] = set()
        self.count_rows: dict[CountKey, int] = {}

    def position(self, station_id: str) -> int:
        return self.positions.get(station_id, 0)

    def residents(self, ids: Collection[str]) -> dict[str, ResidentRow]:
        return {i: self.resident_rows[i] for i in ids if i in self.resident_rows}

    def consents(self, resident_ids: Collection[str]) -> dict[str, list[ConsentRow]]:
        return {i: list(self.consent_rows[i]) for i in resident_ids if i in self.consent_rows}

    def items(self, ids: Collection[str]) -> dict[str, ItemRow]:
        return {i: self.item_rows[i] for i in ids if i in self.item_rows}

    def visits_of_items(self, item_ids: Collection[str]) -> dict[str, list[VisitRow]]:
        wanted = set(item_ids)
        found: dict[str, list[VisitRow]] = {}
        for visit in self.visit_rows.values():
            if visit.item_id in wanted:
                found.setdefault(visit.item_id, []).append(visit)
        return found

    def seen(self, keys: Collection[SeenKey]) -> set[SeenKey]:
        return {k for k in keys if k in self.seen_keys}

    def save(self, changes: Changes) -> None:
        self.resident_rows.update(changes.residents)
        for row in changes.consents:
            self.consent_rows.setdefault(row.resident_id, []).append(row)
        self.item_rows.update(changes.items)
        self.visit_rows.update(changes.visits)
        self.seen_keys |= changes.seen
        for key, delta in changes.counts.items():
            n = self.count_rows.get(key, 0) + delta
            if n:
                self.count_rows[key] = n
            else:
                self.count_rows.pop(key, None)
        self.positions.update(changes.positions)

    def counts(self, first: str, last: str) -> Iterable[tuple[CountKey, int]]:
        return [(k, n) for k, n in self.count_rows.items() if first <= k.month <= last]

    def counts_before(self, indicator: str, month: str) -> Iterable[tuple[CountKey, int]]:
        return [(k, n) for k, n in self.count_rows.items()
                if k.indicator == indicator and k.month < month]

    def tables(self) -> dict[str, object]:
        """Every table as comparable values (incremental == rebuild)."""
        return {"positions": dict(self.positions), "residents": dict(self.resident_rows),
                "consents": {k: sorted(v, key=lambda r: (r.station_id, r.seq))
                             for k, v in self.consent_rows.items()},
                "items": dict(self.item_rows), "visits": dict(self.visit_rows),
                "seen": set(self.seen_keys), "counts": dict(self.count_rows)}
