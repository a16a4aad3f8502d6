"""The report read models' rows and the ports they are read and written through.

The projection (kiosk/county/projections/reports.py) loads what a batch touches in bulk (a
few queries per batch, not per event: PostgreSQL pays a round trip for each), works on it in
memory and hands back one ``Changes`` for the store to write in the same transaction as the
batch. kiosk/county/store/sql_reports.py implements ``ReportRows`` and ``ReportCounts`` on
SQLite and PostgreSQL; kiosk/county/projections/report_rows.py in dictionaries (tests).

Monthly counts hold only the bottom cells (a station, a month, a category); quarters, years,
totals and the county's sums are added up when a report is published, so a count is written
once. Pure: no SQL here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from kiosk.county.domain.reports import CountKey

# What the county keeps about its read models (county_meta keys): the time zone they were
# counted in, and when a rebuild began (while it runs, nothing is published from them).
TIMEZONE, REBUILDING = "reports.timezone", "reports.rebuilding"


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
