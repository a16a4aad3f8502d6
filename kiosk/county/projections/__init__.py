"""Read models built from the stored events: the seam the service reports fill.

A projection turns a station's newly stored events into rows of its own tables. The intake
service applies every registered projection inside the transaction that stores the batch
(``Projections.apply``), so a read model never lags or leads the events it counts; and a
projection can be rebuilt from the events alone (``Projections.rebuild``: reset, then replay
every station from seq 0, by per-station position, never by a global row number).

To add one: implement ``Projection`` (its tables come from a migration in
kiosk/county/store/migrations/), and list it in kiosk/county/bootstrap.py's
``build_projections``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from kiosk.county.store.base import CountyStore, Writing
from kiosk.domain.events import Event

REPLAY_PAGE = 5000


class Projection(Protocol):
    name: str

    def apply(self, tx: Writing, station_id: str, events: list[Event]) -> None:
        """Fold a station's newly stored events (in seq order) into the read model."""

    def reset(self, tx: Writing) -> None:
        """Empty the read model's tables (before a rebuild)."""


class Projections:
    """The registered projections, applied in order."""

    def __init__(self, projections: Sequence[Projection] = ()):
        self.projections = tuple(projections)

    def apply(self, tx: Writing, station_id: str, events: list[Event]) -> None:
        for projection in self.projections:
            projection.apply(tx, station_id, events)

    def rebuild(self, store: CountyStore) -> int:
        """Reset every projection and replay all stored events, station by station; the
        number of events replayed. Each page commits on its own: a rebuild of a large county
        does not hold one transaction open for minutes."""
        def reset(tx: Writing) -> None:
            for projection in self.projections:
                projection.reset(tx)

        store.write(reset)
        replayed = 0
        for station in store.stations():
            after = 0
            while events := store.events(station.id, after, REPLAY_PAGE):
                self._replay(store, station.id, events)
                after, replayed = events[-1].seq, replayed + len(events)
        return replayed

    def rebuild_pending(self, store: CountyStore) -> list[str]:
        """Rebuild the projections a migration marked (its tables are new or changed:
        ``county_meta`` holds ``projection_rebuild:<name>``), then clear the marks; the names
        rebuilt. An upgraded county runs this once at its first start."""
        pending = set(store.pending_rebuilds())
        chosen = [p for p in self.projections if p.name in pending]
        if chosen:
            Projections(chosen).rebuild(store)

        def done(tx: Writing) -> None:
            for name in pending:
                tx.rebuilt(name)
        if pending:
            store.write(done)
        return [p.name for p in chosen]

    def _replay(self, store: CountyStore, station_id: str, events: list[Event]) -> None:
        def apply(tx: Writing) -> None:
            self.apply(tx, station_id, events)
        store.write(apply)
