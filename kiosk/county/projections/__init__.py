"""Read models built from the stored events: the seam the service reports fill.

A projection turns a station's newly stored events into rows of its own tables. The intake
service applies every registered projection inside the transaction that stores the batch
(``Projections.apply``), so a read model never lags or leads the events it counts; and a
projection can be rebuilt from the events alone (``Projections.rebuild``: reset, then replay
every station from seq 0, by per-station position, never by a global row number).
``Projections.catch_up`` brings a projection that keeps its own per-station position
(``Positioned``: the service reports) and is behind the stored events (made by a migration on a
county that already held events) up to each station's head the same way;
``Projections.rebuild_pending`` rebuilds, once, what a migration marked (home stations).

To add one: implement ``Projection`` (its tables come from a migration in
kiosk/county/store/migrations/), and list it in kiosk/county/bootstrap.py's
``build_projections``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from kiosk.county.store.base import CountyStore, Writing
from kiosk.domain.events import Event

REPLAY_PAGE = 5000


class Projection(Protocol):
    name: str
    # True: the intake applies it after each event, since the roster rules judge the next
    # event on it (home stations); False: once per batch, after the rules (the reports,
    # whose per-batch work would cost a query per event otherwise)
    each_event: bool

    def apply(self, tx: Writing, station_id: str, events: list[Event]) -> None:
        """Fold a station's newly stored events (in seq order) into the read model."""

    def reset(self, tx: Writing) -> None:
        """Empty the read model's tables (before a rebuild)."""


@runtime_checkable
class Positioned(Projection, Protocol):
    """A projection that knows how far it has read each station's chain, so it can catch up
    by itself (and skips, in ``apply``, what it already holds)."""

    def position(self, store: CountyStore, station_id: str) -> int:
        """The last seq of the station's chain the read model holds."""


class Projections:
    """The registered projections, applied in order."""

    def __init__(self, projections: Sequence[Projection] = ()):
        self.projections = tuple(projections)

    def apply(self, tx: Writing, station_id: str, events: list[Event]) -> None:
        for projection in self.projections:
            projection.apply(tx, station_id, events)

    def named(self, *names: str) -> Projections:
        """Only the projections of these names (``kiosk-county rebuild`` takes the reports':
        home stations are not rebuilt under a serving county, whose roster rules read them)."""
        return Projections([p for p in self.projections if p.name in names])

    def apply_each(self, tx: Writing, station_id: str, event: Event) -> None:
        """One event of a batch, into the projections applied event by event."""
        for projection in self.projections:
            if projection.each_event:
                projection.apply(tx, station_id, [event])

    def apply_batch(self, tx: Writing, station_id: str, events: list[Event]) -> None:
        """A batch's events, after ``apply_each`` saw each, into the other projections."""
        for projection in self.projections:
            if not projection.each_event:
                projection.apply(tx, station_id, events)

    def rebuild(self, store: CountyStore) -> int:
        """Reset every projection and replay all stored events, station by station; the
        number of events replayed. Each page commits on its own: a rebuild of a large county
        does not hold one transaction open for minutes (a ``Positioned`` projection counts the
        batches that arrive meanwhile once: it skips what it holds and fills what it lacks)."""
        def reset(tx: Writing) -> None:
            for projection in self.projections:
                projection.reset(tx)

        store.write(reset)
        replayed = 0
        for station in store.stations():
            after = 0
            while events := store.events(station.id, after, REPLAY_PAGE):
                self._replay(store, self.projections, station.id, events)
                after, replayed = events[-1].seq, replayed + len(events)
        return replayed

    def catch_up(self, store: CountyStore) -> int:
        """Replay, for each ``Positioned`` projection and station, the stored events after the
        projection's position; the number of events replayed."""
        replayed = 0
        for projection in self.projections:
            if not isinstance(projection, Positioned):
                continue
            for station in store.stations():
                after = projection.position(store, station.id)
                while events := store.events(station.id, after, REPLAY_PAGE):
                    self._replay(store, (projection,), station.id, events)
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

    @staticmethod
    def _replay(store: CountyStore, projections: Sequence[Projection], station_id: str,
                events: list[Event]) -> None:
        def apply(tx: Writing) -> None:
            for projection in projections:
                projection.apply(tx, station_id, events)
        store.write(apply)
