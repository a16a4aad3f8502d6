"""In-memory fakes of the repositories, for domain tests and quick experiments."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from kiosk.domain.events import ChainHead, Event
from kiosk.domain.model import CarePlanItem, Card, CheckIn, Resident
from kiosk.domain.ports import EventFactory, UnitOfWork


@dataclass
class MemoryState:
    residents: dict[str, Resident] = field(default_factory=dict)
    cards: dict[str, Card] = field(default_factory=dict)
    checkins: list[CheckIn] = field(default_factory=list)
    care_items: list[CarePlanItem] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    print_jobs: list[tuple[str, str, str]] = field(default_factory=list)


class _Residents:
    def __init__(self, s: MemoryState): self.s = s
    def get(self, resident_id): return self.s.residents.get(resident_id)
    def add(self, r: Resident): self.s.residents[r.id] = r


class _Cards:
    def __init__(self, s: MemoryState): self.s = s
    def by_uid_hash(self, uid_hash): return self.s.cards.get(uid_hash)
    def add(self, c: Card): self.s.cards[c.uid_hash] = c


class _CheckIns:
    def __init__(self, s: MemoryState): self.s = s

    def for_resident_on(self, resident_id, local_date):
        return next((c for c in self.s.checkins
                     if c.resident_id == resident_id and c.local_date == local_date), None)

    def next_queue_no(self, station_id, local_date):
        return 1 + max((c.queue_no for c in self.s.checkins
                        if c.station_id == station_id and c.local_date == local_date), default=0)

    def add(self, c: CheckIn): self.s.checkins.append(c)


class _CareItems:
    def __init__(self, s: MemoryState): self.s = s
    def for_resident(self, resident_id): return [i for i in self.s.care_items if i.resident_id == resident_id]
    def add(self, i: CarePlanItem): self.s.care_items.append(i)


class _PrintJobs:
    def __init__(self, s: MemoryState): self.s = s
    def enqueue(self, checkin_id, reason, created_at): self.s.print_jobs.append((checkin_id, reason, created_at))


class _Events:
    def __init__(self, s: MemoryState): self.s = s

    def head(self):
        return ChainHead(self.s.events[-1].seq, self.s.events[-1].hash) if self.s.events else ChainHead()

    def add(self, e: Event): self.s.events.append(e)


class MemoryUnitOfWork(UnitOfWork):
    """Works on a copy of the shared state; commit swaps it in, so rollback is just forgetting."""

    def __init__(self, shared: MemoryState, event_factory: EventFactory):
        self.shared, self.event_factory = shared, event_factory
        self.committed = False

    def __enter__(self) -> "MemoryUnitOfWork":
        self.state = copy.deepcopy(self.shared)
        self.residents, self.cards = _Residents(self.state), _Cards(self.state)
        self.checkins, self.care_items = _CheckIns(self.state), _CareItems(self.state)
        self.events, self.print_jobs = _Events(self.state), _PrintJobs(self.state)
        return self

    def commit(self) -> None:
        self.shared.__dict__.update(self.state.__dict__)
        self.committed = True

    def rollback(self) -> None:
        pass
