"""Plain value objects of the station's world."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Resident:
    id: str
    name: str
    birth_date: str | None = None
    village: str | None = None


@dataclass(frozen=True)
class Card:
    """A card bound to a resident, found by a hash of its UID (never the raw UID)."""

    uid_hash: str
    resident_id: str
    status: str = "active"


@dataclass(frozen=True)
class CheckIn:
    id: str
    resident_id: str
    station_id: str
    local_date: str
    queue_no: int
    checked_in_at: str


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
class FollowUpStatus:
    next_item: CarePlanItem | None = None
    overdue: tuple[CarePlanItem, ...] = field(default_factory=tuple)

    @classmethod
    def from_items(cls, items: list[CarePlanItem], today: dt.date) -> "FollowUpStatus":
        open_items = [i for i in items if i.status(today) in ("upcoming", "due")]
        open_items.sort(key=lambda i: (i.due, i.title))
        overdue = sorted((i for i in items if i.status(today) == "overdue"), key=lambda i: i.due)
        return cls(open_items[0] if open_items else None, tuple(overdue))


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
