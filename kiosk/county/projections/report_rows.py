"""The report read models in dictionaries: ``MemoryReportRows`` is ``ReportRows`` and
``ReportCounts`` (kiosk/county/domain/report_rows.py) without a database, the fake the report
tests run the projection against; tests/county/test_report_store_contract.py holds it and
the SQL store to the same contract."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from kiosk.county.domain.report_rows import Changes, ConsentRow, ItemRow, ResidentRow, SeenKey, VisitRow
from kiosk.county.domain.reports import CountKey


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
