"""Plain value objects of the station's world."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from kiosk.domain.card_auth import CardProof


@dataclass(frozen=True)
class Resident:
    """Her registration; without her consent only the name (for the card binding) is kept."""

    id: str
    name: str
    birth_date: str | None = None
    village: str | None = None
    phone: str | None = None
    national_id_hash: str | None = None  # keyed hash, only for de-duplication
    consent_version: str | None = None  # consent text version she agreed to, None = no consent
    consent_at: str | None = None
    registered_at: str | None = None

    @property
    def consented(self) -> bool:
        return self.consent_version is not None


@dataclass(frozen=True)
class Technician:
    id: str
    name: str
    pin_hash: str
    pin_salt: str
    failed_pins: int = 0
    locked_until: str | None = None  # UTC ISO instant; survives restarts
    active: bool = True
    lockouts: int = 0  # lockouts since the last good PIN
    blocked_at: str | None = None  # blocked until another technician or the console unblocks
    pin_digits: int | None = None  # None: a PIN set before 6-digit PINs


@dataclass(frozen=True)
class IssuedCard:
    """A card record the station signed: its number, to whom, for which UID."""

    card_no: str
    role: str  # "resident" | "technician"
    holder_id: str
    uid_hash: str
    kind: str  # "cpu" | "cpu-ecc" | "desfire" | "mifare"
    issued_at: str
    issued_by: str
    status: str = "active"  # "active" | "revoked"
    roster_seq: int | None = None  # another station's card: its card.issued's seq there


@dataclass(frozen=True)
class ReadCard:
    """What the reader got from a card: its UID, its kind and the stored record (if any)."""

    uid: bytes
    kind: str = "uid"  # "cpu", "cpu-ecc", "desfire", "mifare" or "uid" (no kiosk storage)
    record: bytes | None = None
    proof: CardProof | None = None  # how the card proved itself on this tap, if it did


@dataclass(frozen=True)
class Card:
    """A card bound to a resident, found by a hash of its UID (never the raw UID)."""

    uid_hash: str
    resident_id: str
    status: str = "active"


@dataclass(frozen=True)
class CheckIn:
    """``time_unconfirmed``: taken while nothing vouched for the station's clock
    (kiosk.domain.trusted_time); ``boot_id`` and ``mono_ns`` then say when, in that boot, so
    the check-in is dated right once the clock is set (kiosk.domain.clock_setting)."""

    id: str
    resident_id: str
    station_id: str
    local_date: str
    queue_no: int
    checked_in_at: str
    time_unconfirmed: bool = False
    boot_id: str | None = None
    mono_ns: int | None = None


@dataclass(frozen=True)
class CarePlanItem:
    """One visit of a care plan, with its window (earliest, due, latest)."""

    id: str
    resident_id: str
    plan: str
    title: str
    earliest: str
    due: str
    latest: str
    done_on: str | None = None
    declined_on: str | None = None
    enrolment_id: str | None = None
    code: str | None = None
    appointment: str | None = None  # agreed at her last visit; shown instead of ``due``

    @property
    def next_date(self) -> str:
        return self.appointment or self.due

    def status(self, today: dt.date) -> str:
        """upcoming, due, overdue, done or declined (declining is her choice, never a flag)."""
        if self.done_on:
            return "done"
        if self.declined_on:
            return "declined"
        if today < dt.date.fromisoformat(self.earliest):
            return "upcoming"
        if today <= dt.date.fromisoformat(self.latest):
            return "due"
        return "overdue"


@dataclass(frozen=True)
class Visit:
    """A follow-up visit logged against a plan item; a correction is a new Visit that
    names the one it corrects (``corrects``), never an edit."""

    id: str
    item_id: str
    resident_id: str
    visit_date: str
    outcome: str
    note: str
    next_appointment: str | None
    logged_by: str
    logged_at: str
    corrects: str | None = None


@dataclass(frozen=True)
class FollowUpStatus:
    next_item: CarePlanItem | None = None
    overdue: tuple[CarePlanItem, ...] = field(default_factory=tuple)

    @classmethod
    def from_items(cls, items: list[CarePlanItem], today: dt.date) -> FollowUpStatus:
        open_items = [i for i in items if i.status(today) in ("upcoming", "due")]
        open_items.sort(key=lambda i: (i.next_date, i.title))
        overdue = sorted((i for i in items if i.status(today) == "overdue"), key=lambda i: i.due)
        return cls(open_items[0] if open_items else None, tuple(overdue))

    def for_public(self, names_shown: Callable[[str], bool]) -> FollowUpStatus:
        """The same status with the title of every item whose plan may not be named in public
        blanked: the public screen then shows only its date, as the receipt does."""
        def public(item: CarePlanItem) -> CarePlanItem:
            return item if names_shown(item.plan) else replace(item, title="")
        return FollowUpStatus(public(self.next_item) if self.next_item else None,
                              tuple(public(i) for i in self.overdue))


def mask_name(name: str) -> str:
    """Mask a name for the public screen: 王秀华 -> 王*华, 李明 -> 李*, Anna Li -> A******i."""
    chars = list(name.strip())
    if len(chars) <= 1:
        return "*"
    if len(chars) == 2:
        return chars[0] + "*"
    return chars[0] + "*" * (len(chars) - 2) + chars[-1]


def local_date(now: dt.datetime, timezone: str) -> dt.date:
    """The station's local calendar day for an aware UTC instant."""
    return now.astimezone(ZoneInfo(timezone)).date()
