"""In-memory fakes of the repositories, for domain tests and quick experiments."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace

from kiosk.domain.events import ChainHead, Event
from kiosk.domain.model import Card, CarePlanItem, CheckIn, IssuedCard, Resident, Technician, Visit
from kiosk.domain.queue import UNFINISHED, QueueEntry
from kiosk.domain.unit_of_work import EventFactory, UnitOfWork


@dataclass
class MemoryState:
    residents: dict[str, Resident] = field(default_factory=dict)
    cards: dict[str, Card] = field(default_factory=dict)
    checkins: list[CheckIn] = field(default_factory=list)
    care_items: list[CarePlanItem] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    event_secrets: dict[int, dict] = field(default_factory=dict)
    print_jobs: list[tuple[str, str, str]] = field(default_factory=list)
    technicians: dict[str, Technician] = field(default_factory=dict)
    issued_cards: dict[str, IssuedCard] = field(default_factory=dict)
    enrolments: list[tuple[str, str, str, str]] = field(default_factory=list)
    visits: dict[str, Visit] = field(default_factory=dict)
    record_views: list[tuple[str, str, str, str]] = field(default_factory=list)
    queue: dict[str, QueueEntry] = field(default_factory=dict)
    homes: dict[str, str] = field(default_factory=dict)
    visitors: dict[str, str] = field(default_factory=dict)  # resident -> last tap (local date)
    waiting_links: dict[str, tuple[str, str, int, str]] = field(default_factory=dict)


class _Residents:
    def __init__(self, s: MemoryState): self.s = s
    def get(self, resident_id): return self.s.residents.get(resident_id)
    def add(self, r: Resident): self.s.residents[r.id] = r
    update = add

    def by_national_id_hash(self, id_hash):
        return next((r for r in self.s.residents.values() if r.national_id_hash == id_hash), None)


class _Technicians:
    def __init__(self, s: MemoryState): self.s = s
    def get(self, technician_id): return self.s.technicians.get(technician_id)
    def add(self, t: Technician): self.s.technicians[t.id] = t
    update = add


class _IssuedCards:
    def __init__(self, s: MemoryState): self.s = s
    def get(self, card_no): return self.s.issued_cards.get(card_no)
    def add(self, c: IssuedCard): self.s.issued_cards[c.card_no] = c

    def active_for(self, holder_id):
        return [c for c in self.s.issued_cards.values()
                if c.holder_id == holder_id and c.status == "active"]

    def set_status(self, card_no, status):
        self.s.issued_cards[card_no] = replace(self.s.issued_cards[card_no], status=status)

    def known_revoked(self, card_no): return False


class _Homes:
    def __init__(self, s: MemoryState): self.s = s
    def get(self, resident_id): return self.s.homes.get(resident_id)
    def set(self, resident_id, station_id): self.s.homes[resident_id] = station_id
    def clear(self, resident_id): self.s.homes.pop(resident_id, None)


class _Visitors:
    def __init__(self, s: MemoryState): self.s = s

    def tapped(self, resident_id, local_date):
        if resident_id in self.s.visitors:
            self.s.visitors[resident_id] = local_date

    def stale(self, resident_id, local_date): return False

    def wait_for_link(self, card_no, issuer, record_hex, tap_seq, at):
        self.s.waiting_links[card_no] = (issuer, record_hex, tap_seq, at)


class _Enrolments:
    def __init__(self, s: MemoryState): self.s = s

    def add(self, enrolment_id, resident_id, plan, status, anchors, at, by):
        self.s.enrolments.append((enrolment_id, resident_id, plan, status))

    def active_plans(self, resident_id):
        open_enrolments = {i.enrolment_id for i in self.s.care_items
                           if not i.done_on and not i.declined_on}
        return {plan for eid, rid, plan, status in self.s.enrolments
                if rid == resident_id and status == "enrolled" and eid in open_enrolments}


class _Visits:
    def __init__(self, s: MemoryState): self.s = s
    def get(self, visit_id): return self.s.visits.get(visit_id)
    def add(self, v: Visit): self.s.visits[v.id] = v


class _RecordViews:
    def __init__(self, s: MemoryState): self.s = s
    def add(self, *row): self.s.record_views.append(row)


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

    def queue_numbers(self, station_id, local_date):
        return {c.queue_no for c in self.s.checkins
                if c.station_id == station_id and c.local_date == local_date}

    def unconfirmed(self, boot_id):
        return sorted((c for c in self.s.checkins if c.time_unconfirmed and c.boot_id == boot_id),
                      key=lambda c: c.mono_ns or 0)

    def update(self, checkin: CheckIn):
        self.s.checkins = [checkin if c.id == checkin.id else c for c in self.s.checkins]


class _CareItems:
    def __init__(self, s: MemoryState): self.s = s
    def for_resident(self, resident_id): return [i for i in self.s.care_items if i.resident_id == resident_id]
    def add(self, i: CarePlanItem): self.s.care_items.append(i)
    def get(self, item_id): return next((i for i in self.s.care_items if i.id == item_id), None)

    def update(self, item: CarePlanItem):
        self.s.care_items = [item if i.id == item.id else i for i in self.s.care_items]


class _PrintJobs:
    def __init__(self, s: MemoryState): self.s = s
    def enqueue(self, checkin_id, reason, created_at): self.s.print_jobs.append((checkin_id, reason, created_at))


class _Queue:
    def __init__(self, s: MemoryState): self.s = s

    def day(self, local_date):
        return sorted((e for e in self.s.queue.values() if e.local_date == local_date),
                      key=lambda e: e.queue_no)

    def add(self, e: QueueEntry): self.s.queue[e.checkin_id] = e
    save = add
    def get(self, checkin_id): return self.s.queue.get(checkin_id)

    def open_dates_before(self, local_date):
        return sorted({e.local_date for e in self.s.queue.values()
                       if e.local_date < local_date and e.state in UNFINISHED})


class _Events:
    def __init__(self, s: MemoryState): self.s = s

    def head(self):
        return ChainHead(self.s.events[-1].seq, self.s.events[-1].hash) if self.s.events else ChainHead()

    def add(self, e: Event): self.s.events.append(e)
    def keep_secrets(self, seq, kept): self.s.event_secrets[seq] = kept


class MemoryUnitOfWork(UnitOfWork):
    """Works on a copy of the shared state; commit swaps it in, so rollback is just forgetting."""

    def __init__(self, shared: MemoryState, event_factory: EventFactory):
        self.shared, self.event_factory = shared, event_factory
        self.committed = False

    def __enter__(self) -> MemoryUnitOfWork:
        self.state = copy.deepcopy(self.shared)
        self.residents, self.cards = _Residents(self.state), _Cards(self.state)
        self.checkins, self.care_items = _CheckIns(self.state), _CareItems(self.state)
        self.events, self.print_jobs = _Events(self.state), _PrintJobs(self.state)
        self.technicians, self.issued_cards = _Technicians(self.state), _IssuedCards(self.state)
        self.enrolments, self.visits = _Enrolments(self.state), _Visits(self.state)
        self.record_views = _RecordViews(self.state)
        self.queue = _Queue(self.state)
        self.homes, self.visitors = _Homes(self.state), _Visitors(self.state)
        return self

    def commit(self) -> None:
        self.shared.__dict__.update(self.state.__dict__)
        self.committed = True

    def rollback(self) -> None:
        pass
