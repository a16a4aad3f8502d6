"""Batch intake: what the county does with a verified push (docs/sync-protocol.md).

``judge`` (kiosk.protocol.sync) decides from the stored chain: accept the new events, or
answer gap, fork or refused. This module turns that verdict into what is kept: the new
events without what only the station needs (kiosk.domain.disclosure.cut), or the forking
event kept aside. The service (kiosk.county.services.intake) runs it in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from kiosk.county.domain.successions import Succession, key_schedule
from kiosk.domain.disclosure import cut
from kiosk.domain.events import ChainHead, Event
from kiosk.protocol.sync import Accepted, Fork, Gap, RejectedBatch, check_batch, judge


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


@dataclass(frozen=True)
class Checked:
    """A batch's events judged on their own (hash, signature: ``check``) before the writer
    takes it, against the keys of ``keys_from`` (the station's enrolled key and its
    successions as read then). ``decide`` uses it only when it reads the same keys."""

    keys_from: tuple[str, tuple[Succession, ...]]
    problem: str | None


def check(station_id: str, events: list[Event], enrolled_key: str,
          successions: list[Succession]) -> Checked:
    rejected = check_batch(station_id, events, key_schedule(successions, enrolled_key))
    return Checked((enrolled_key, tuple(successions)),
                   None if rejected is None else rejected.reason)


def decide(station_id: str, events: list[Event], enrolled_key: str,
           successions: list[Succession], head: ChainHead,
           hash_at: Callable[[int], str | None], checked: Checked | None = None) -> Outcome:
    """The outcome of a batch against the stored chain (and the station's keys as stored
    now); Stored carries the events to keep, already cut down to what the county keeps.
    ``checked`` spares the signatures a second check when the keys have not changed since."""
    keys = key_schedule(successions, enrolled_key)
    fresh = checked is not None and checked.keys_from == (enrolled_key, tuple(successions))
    if fresh and checked is not None and checked.problem is not None:
        return Refused(checked.problem)
    verdict = judge(station_id, events, keys, head, hash_at, checked=fresh)
    if isinstance(verdict, Gap):
        return GapAt(verdict.expected_seq)
    if isinstance(verdict, Fork):
        return ForkAt(verdict.seq, verdict.event)
    if isinstance(verdict, RejectedBatch):
        return Refused(verdict.reason)
    assert isinstance(verdict, Accepted)
    kept = [e if (payload := cut(e.type, e.payload)) is e.payload else replace(e, payload=payload)
            for e in verdict.new]
    new_head = ChainHead(kept[-1].seq, kept[-1].hash) if kept else head
    return Stored(kept, new_head)
