"""Batch intake: what the county does with a verified push (docs/sync-protocol.md).

``judge`` (kiosk.protocol.sync) decides from the stored chain: accept the new events, or
answer gap, fork or refused. This module turns that verdict into what is kept: the new
events without what only the station needs (kiosk.domain.disclosure.cut), or the forking
event kept aside. The service (kiosk.county.services.intake) runs it in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from kiosk.domain.disclosure import cut
from kiosk.domain.events import ChainHead, Event
from kiosk.protocol.succession import KeySchedule
from kiosk.protocol.sync import Accepted, Fork, Gap, RejectedBatch, judge


@dataclass(frozen=True)
class Stored:
    """The batch is kept (possibly nothing new): acknowledge the head."""

    new: list[Event]
    head: ChainHead


@dataclass(frozen=True)
class GapAt:
    expected_seq: int


@dataclass(frozen=True)
class ForkAt:
    seq: int
    event: Event


@dataclass(frozen=True)
class Refused:
    reason: str


Outcome = Stored | GapAt | ForkAt | Refused


def decide(station_id: str, events: list[Event], keys: KeySchedule, head: ChainHead,
           hash_at: Callable[[int], str | None]) -> Outcome:
    """The outcome of a batch against the stored chain; Stored carries the events to keep,
    already cut down to what the county keeps."""
    verdict = judge(station_id, events, keys, head, hash_at)
    if isinstance(verdict, Gap):
        return GapAt(verdict.expected_seq)
    if isinstance(verdict, Fork):
        return ForkAt(verdict.seq, verdict.event)
    if isinstance(verdict, RejectedBatch):
        return Refused(verdict.reason)
    assert isinstance(verdict, Accepted)
    kept = [replace(e, payload=cut(e.type, e.payload)) for e in verdict.new]
    new_head = ChainHead(kept[-1].seq, kept[-1].hash) if kept else head
    return Stored(kept, new_head)
