"""The service reports' read model in the county's projection seam (``Projection`` in
kiosk/county/projections/__init__.py): each accepted batch is counted in the transaction that
stores it, through the store's ``ReportRows`` (kiosk/county/store/sql_reports.py).

A read model behind its station's stored chain (made by a migration on a county that already
held events, or emptied by a rebuild while batches keep arriving) first replays the stored
events it lacks, in the same transaction, so a batch is never refused for the read model's
sake and no event is counted twice or missed."""

from __future__ import annotations

from kiosk.county.domain.periods import DEFAULT_TIMEZONE
from kiosk.county.domain.report_rows import TIMEZONE
from kiosk.county.projections.reports import ReportProjection
from kiosk.county.store.base import CountyStore, Writing
from kiosk.domain.events import Event

CATCH_UP_PAGE = 2000


class ReportReadModel:
    name = "reports"
    each_event = False  # a batch at once: its events' residents and items read in bulk

    def __init__(self, timezone: str = DEFAULT_TIMEZONE):
        self.timezone = timezone
        self.projection = ReportProjection(timezone)

    def apply(self, tx: Writing, station_id: str, events: list[Event]) -> None:
        rows = tx.report_rows()
        if events:
            after = rows.position(station_id)
            while after < events[0].seq - 1:
                missing = tx.events(station_id, after, min(CATCH_UP_PAGE, events[0].seq - 1 - after))
                if not missing:
                    break
                rows.save(self.projection.apply(rows, station_id, missing))
                after = missing[-1].seq
        rows.save(self.projection.apply(rows, station_id, events))

    def reset(self, tx: Writing) -> None:
        tx.reset_reports()
        tx.set_report_state(TIMEZONE, self.timezone)

    def position(self, store: CountyStore, station_id: str) -> int:
        return store.reports().report_positions().get(station_id, 0)
