"""The roster rules: which station may change what about a resident, judged by the county as
each push is stored and again by every station that applies a roster entry (or a visitor's
record), on what each has learned so far (``RosterFacts``).

A station's key signs whatever that station says; these rules decide what it may say about
residents whose home is another station (docs/sync-protocol.md, "Roster rules"):

- she is registered once, by her home station;
- a card is revoked by the station that issued it, or by her home station when the
  revocation names the card that replaces it (``replaced_by``, in the same signed event);
- her care (``care.enrolled``, ``care_item.declined``, ``visit.logged``, ``visit.corrected``),
  her details and consent (``resident.corrected``, ``consent.*``), a move of her home
  (``resident.moved``) and a card issued to her are changed by her home station, or by a
  station whose own signed log shows her there: her card tapped or checked in at that
  station (``checkin.created``, ``visitor.looked_up``, ``checkin.linked``) within the
  presence window before the change (issue 23, N7);
- technician cards never cross.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

# Her card tapped or checked in at a station: what shows her there.
PRESENCE = ("checkin.created", "visitor.looked_up", "checkin.linked")
CARE_CHANGES = ("care.enrolled", "care_item.declined", "visit.logged", "visit.corrected")
RESIDENT_CHANGES = ("resident.corrected", "consent.given", "consent.withdrawn", "resident.moved")
DEFAULT_PRESENCE_WINDOW_S = 24 * 3600  # the county's `presence_window_s` unless it says otherwise
CLOCK_SLACK_S = 300  # a station's log may run up to 5 minutes behind its newest event


@dataclass(frozen=True)
class CardFact:
    """What the rules need to know of a card: who issued it, to whom, for what role."""

    issuer: str
    holder_id: str
    role: str
    revoked: bool = False


@dataclass(frozen=True)
class Seen:
    """Her card at a station: the last presence event there (its seq in that station's chain
    and its time on that station's clock)."""

    seq: int
    at: str


class RosterFacts(Protocol):
    """What the applier (a station, or the county when it takes a push) knows so far."""

    def card(self, card_no: str) -> CardFact | None: ...
    def home(self, resident_id: str) -> str | None: ...
    def seen(self, resident_id: str, station_id: str) -> Seen | None: ...


@dataclass(frozen=True)
class Entry:
    """A shared event as the rules see it: whose it is, where in its chain, when (its
    station's clock) and what of it crosses (kiosk.protocol.roster.shared_data)."""

    station_id: str
    seq: int
    type: str
    data: dict[str, Any]
    at: str = ""


@dataclass(frozen=True)
class Refusal:
    """An entry another station may not apply; ``alert`` when it looks like an attack (an
    entry the rules simply keep local, such as a technician's own card, is no alert)."""

    reason: str
    alert: bool = True


def _instant(text: str) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None
    return when if when.tzinfo is not None else None


def present(facts: RosterFacts, resident_id: str, entry: Entry, window_s: int) -> bool:
    """Her card was tapped or she was checked in at the entry's station, earlier in that
    station's own chain and within ``window_s`` seconds before the entry (on its clock)."""
    seen = facts.seen(resident_id, entry.station_id)
    if seen is None or seen.seq >= entry.seq:
        return False
    then, now = _instant(seen.at), _instant(entry.at)
    if then is None or now is None:
        return False
    age = (now - then).total_seconds()
    return -CLOCK_SLACK_S <= age <= window_s


def subject(type_: str, data: dict[str, Any]) -> str | None:
    """The resident an entry is about (None: a card revocation, whose holder the facts know)."""
    if type_ == "resident.registered":
        return data.get("id")
    if type_ == "card.issued":
        return data.get("holder_id")
    return data.get("resident_id")


def refusal(entry: Entry, facts: RosterFacts,
            window_s: int = DEFAULT_PRESENCE_WINDOW_S) -> Refusal | None:
    """None when ``entry`` may be applied; else why not (module docstring)."""
    type_, data, station_id = entry.type, entry.data, entry.station_id
    if type_ == "resident.registered":
        home = facts.home(data["id"])
        if home is not None and home != station_id:  # she cannot move home by a new entry
            return Refusal(f"registers again a resident whose home is {home}")
        return None
    if type_ == "card.revoked":
        return _revocation(station_id, data, facts)
    if type_ == "card.issued" or type_ in CARE_CHANGES or type_ in RESIDENT_CHANGES:
        resident_id = subject(type_, data)
        if not resident_id:
            return Refusal(f"{type_} names no resident")
        home = facts.home(resident_id)
        if home == station_id:
            return None
        if home is None:
            return Refusal(f"{type_} for a resident nobody registered")
        if type_ == "resident.moved" and data.get("from") != home:
            return Refusal(f"moves her from {data.get('from')}, but her home is {home}")
        if not present(facts, resident_id, entry, window_s):
            hours = window_s / 3600
            return Refusal(f"{type_} for a resident whose home is {home}, without her card "
                           f"at {station_id} in the {hours:g} h before")
    return None


def _revocation(station_id: str, data: dict[str, Any], facts: RosterFacts) -> Refusal | None:
    card = facts.card(data["card_no"])
    if card is None:
        return Refusal("revokes a card that was never issued on the roster")
    if card.role != "resident":
        return Refusal("technician cards never cross the roster", alert=card.issuer != station_id)
    if card.issuer == station_id:
        return None
    new = facts.card(data.get("replaced_by") or "")
    pair = new is not None and new.holder_id == card.holder_id and new.role == "resident"
    if pair and facts.home(card.holder_id) == station_id:
        return None
    if pair and new is not None and new.issuer == station_id:  # reissued here, not at home
        return Refusal("a card reissued away from her home station is revoked there only",
                       alert=False)
    return Refusal(f"revokes a card issued by {card.issuer}")


def presence(entry: Entry, facts: RosterFacts) -> Seen | None:
    """What an accepted entry shows of her card at its station, if anything: a check-in with
    one of her cards, a lookup of her card, or an offline check-in linked to her later (its
    time is when she was there)."""
    if entry.type not in PRESENCE:
        return None
    card = facts.card(entry.data.get("card_no") or "")
    if card is None or card.role != "resident" or card.revoked \
            or card.holder_id != entry.data.get("resident_id"):
        return None  # a revoked card shows her nowhere
    at = entry.data.get("checked_in_at") if entry.type == "checkin.linked" else entry.at
    return Seen(entry.seq, str(at or entry.at))
