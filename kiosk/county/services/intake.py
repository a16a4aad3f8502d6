"""Taking a station's batch: judged against the stored chain and kept in one transaction
with everything that follows from it (the roster's memory, key successions, the read
models and the station's signed sync metadata)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.county.domain.clock import Clock, stamp
from kiosk.county.domain.intake import ForkAt, Outcome, Refused, Stored, check, decide
from kiosk.county.domain.roster import KeptBack, asked_about, screen_event
from kiosk.county.domain.stations import StationRecord, sync_metadata
from kiosk.county.domain.visitors import RosterPolicy
from kiosk.county.projections import Projections
from kiosk.county.store.base import Writing
from kiosk.county.store.sql import SqlCountyStore
from kiosk.domain.events import Event
from kiosk.protocol.succession import RESTORED

log = logging.getLogger("kiosk.county")


@dataclass(frozen=True)
class SignedPush:
    """What the station's signature on the push vouches for (kiosk.county.web.station_auth)."""

    station_time: str
    reported_head: str
    fresh: bool


class BatchIntake:
    def __init__(self, store: SqlCountyStore, clock: Clock, projections: Projections,
                 policy: RosterPolicy | None = None, on_stored: Callable[[], None] | None = None):
        """``on_stored`` is told after each commit that stored new events (the published
        reports' worker, kiosk.county.services.reports)."""
        self.store, self.clock, self.projections = store, clock, projections
        self.policy = policy or RosterPolicy()
        self.on_stored = on_stored

    def receive(self, station: StationRecord, events: list[Event], signed: SignedPush | None
                ) -> Outcome:
        now = self.clock.now()
        at = stamp(now)
        metadata = None if signed is None else sync_metadata(
            station, signed.station_time, signed.reported_head, signed.fresh, now)

        # The hashes and signatures first, on this (request) thread: pushes verify in
        # parallel, and the one writer is not held up by the Ed25519 work.
        checked = check(station.id, events, station.public_key,
                        self.store.successions(station.id))

        def store_batch(tx: Writing) -> tuple[Outcome, list[KeptBack]]:
            """On the store's writer: judge against the stored head and keep what is new."""
            outcome = decide(station.id, events, station.public_key, tx.successions(station.id),
                             tx.head(station.id), lambda seq: tx.hash_at(station.id, seq),
                             checked)
            if isinstance(outcome, ForkAt):
                tx.keep_fork(station.id, outcome.event, at)
            if not isinstance(outcome, Stored):
                return outcome, []
            tx.insert(station.id, outcome.new, at)
            tx.recall(station.id, *asked_about(outcome.new))  # one read, not one per event
            refused = []
            for event in outcome.new:  # each judged on the read models of all before it
                kept = screen_event(tx, station.id, event, at, self.policy.presence_window_s)
                if kept is not None:
                    refused.append(kept)
                if event.type == RESTORED:  # a station.restored takes its pending succession
                    tx.take_succession(station.id, event.payload.get("public_key", ""), event.seq)
                self.projections.apply_each(tx, station.id, event)
            self.projections.apply_batch(tx, station.id, outcome.new)
            if metadata is not None:
                tx.synced(station.id, at, metadata.clock_offset_s, metadata.reported_head)
            return outcome, refused

        outcome, refused = self.store.write(store_batch)
        if isinstance(outcome, Stored) and outcome.new and self.on_stored is not None:
            self.on_stored()
        for kept in refused:
            if kept.alert:
                log.error("ALERT station %s: roster entry seq %d %s refused: %s", station.id,
                          kept.seq, kept.type, kept.reason)
        if isinstance(outcome, Refused):
            log.warning("station %s: batch refused: %s", station.id, outcome.reason)
        if isinstance(outcome, ForkAt):
            log.error("ALERT station %s: fork at seq %d kept aside", station.id, outcome.seq)
        return outcome
