"""What the domain needs from the outside world: a clock and a unit of work.

Adapters implement these (kiosk.adapters.clock, kiosk.store.sqlite and the
in-memory fakes in kiosk.store.memory).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Protocol

from kiosk.domain.disclosure import withhold
from kiosk.domain.events import FORMAT_VERSION, ChainHead, Event, Signer, seal
from kiosk.domain.model import Card, CarePlanItem, CheckIn, IssuedCard, Resident, Technician, Visit
from kiosk.domain.queue import QueueEntry


class Clock(Protocol):
    """Wall time can be wrong on a Pi without RTC; boot id + monotonic time order events.
    ``source()`` says who vouches for ``now()`` (kiosk.domain.trusted_time): "not_set" while
    nothing does (``now()`` is then the best guess, never behind the station's own log)."""

    def now(self) -> dt.datetime: ...
    def monotonic_ns(self) -> int: ...
    def boot_id(self) -> str: ...
    def source(self) -> str: ...


class Residents(Protocol):
    def get(self, resident_id: str) -> Resident | None: ...
    def add(self, resident: Resident) -> None: ...
    def update(self, resident: Resident) -> None: ...
    def by_national_id_hash(self, id_hash: str) -> Resident | None: ...


class Technicians(Protocol):
    def get(self, technician_id: str) -> Technician | None: ...
    def add(self, technician: Technician) -> None: ...
    def update(self, technician: Technician) -> None: ...


class IssuedCards(Protocol):
    def get(self, card_no: str) -> IssuedCard | None: ...
    def active_for(self, holder_id: str) -> list[IssuedCard]: ...
    def add(self, card: IssuedCard) -> None: ...
    def set_status(self, card_no: str, status: str) -> None: ...
    def known_revoked(self, card_no: str) -> bool:
        """A card of another station's resident that the county said is revoked."""


class Homes(Protocol):
    """Where residents this station holds but does not serve as home live (issue 24)."""

    def get(self, resident_id: str) -> str | None:
        """Her home station if it is another one; None: this station's own resident."""
    def set(self, resident_id: str, station_id: str) -> None: ...
    def clear(self, resident_id: str) -> None: ...


class Visitors(Protocol):
    """Visitors this station holds for a while (kiosk.domain.visitors)."""

    def tapped(self, resident_id: str, local_date: str) -> None:
        """A looked-up visitor's card was tapped here today: she is kept longer."""
    def stale(self, resident_id: str, local_date: str) -> bool:
        """A visitor whose record was looked up before ``local_date``."""
    def wait_for_link(self, card_no: str, issuer: str, record_hex: str, tap_seq: int,
                      at: str) -> None:
        """An offline check-in's card, kept with its record until the county links it."""


class Cards(Protocol):
    def by_uid_hash(self, uid_hash: str) -> Card | None: ...
    def add(self, card: Card) -> None: ...


class CheckIns(Protocol):
    def for_resident_on(self, resident_id: str, local_date: str) -> CheckIn | None: ...
    def next_queue_no(self, station_id: str, local_date: str) -> int: ...
    def add(self, checkin: CheckIn) -> None: ...
    def queue_numbers(self, station_id: str, local_date: str) -> set[int]: ...
    def unconfirmed(self, boot_id: str) -> list[CheckIn]:
        """Check-ins taken in boot ``boot_id`` while the clock was not set, in order."""
    def update(self, checkin: CheckIn) -> None: ...


class CareItems(Protocol):
    def for_resident(self, resident_id: str) -> list[CarePlanItem]: ...
    def get(self, item_id: str) -> CarePlanItem | None: ...
    def add(self, item: CarePlanItem) -> None: ...
    def update(self, item: CarePlanItem) -> None: ...


class Enrolments(Protocol):
    def add(self, enrolment_id: str, resident_id: str, plan: str, status: str,
            anchors: dict[str, str], at: str, by: str) -> None: ...
    def active_plans(self, resident_id: str) -> set[str]: ...


class Visits(Protocol):
    def get(self, visit_id: str) -> Visit | None: ...
    def add(self, visit: Visit) -> None: ...


class RecordViews(Protocol):
    def add(self, resident_id: str, technician_id: str, at: str, what: str) -> None: ...


class PrintJobs(Protocol):
    def enqueue(self, checkin_id: str, reason: str, created_at: str) -> None: ...


class QueueEntries(Protocol):
    def day(self, local_date: str) -> list[QueueEntry]: ...
    def add(self, entry: QueueEntry) -> None: ...
    def save(self, entry: QueueEntry) -> None: ...
    def get(self, checkin_id: str) -> QueueEntry | None: ...
    def open_dates_before(self, local_date: str) -> list[str]: ...


class EventStore(Protocol):
    def head(self) -> ChainHead: ...
    def add(self, event: Event) -> None: ...
    def keep_secrets(self, seq: int, kept: dict[str, Any]) -> None:
        """The station-only values (and salts) behind an event's commitments."""


class EventFactory:
    """Builds the next signed event of this station from the chain head."""

    def __init__(self, station_id: str, signer: Signer, clock: Clock):
        self.station_id, self.signer, self.clock = station_id, signer, clock

    def next(self, head: ChainHead, type_: str, payload: dict[str, Any]) -> Event:
        wall = self.clock.now().astimezone(dt.UTC)
        unsigned = Event(
            v=FORMAT_VERSION, id=str(uuid.uuid4()), station_id=self.station_id,
            seq=head.seq + 1, type=type_, payload=payload,
            wall_time=wall.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            boot_id=self.clock.boot_id(), mono_ns=self.clock.monotonic_ns(),
            prev_hash=head.hash,
        )
        return seal(unsigned, self.signer)


class UnitOfWork:
    """One transaction: state changes and their events commit together or not at all."""

    residents: Residents
    technicians: Technicians
    issued_cards: IssuedCards
    enrolments: Enrolments
    visits: Visits
    record_views: RecordViews
    cards: Cards
    checkins: CheckIns
    care_items: CareItems
    print_jobs: PrintJobs
    queue: QueueEntries
    homes: Homes
    visitors: Visitors
    events: EventStore
    event_factory: EventFactory

    def record(self, type_: str, payload: dict[str, Any]) -> Event:
        """Append the signed event describing a change made in this unit of work. Its
        station-only fields are signed as commitments and their values kept beside it
        (kiosk.domain.disclosure), so what the county receives is what was signed."""
        signed, kept = withhold(type_, payload)
        event = self.event_factory.next(self.events.head(), type_, signed)
        self.events.add(event)
        if kept:
            self.events.keep_secrets(event.seq, kept)
        return event

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, *exc: object) -> None:
        self.rollback()

    def commit(self) -> None:
        raise NotImplementedError

    def rollback(self) -> None:
        raise NotImplementedError
