"""What a tap came to; the screen, the signals and the receipt are driven from these."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.domain.model import FollowUpStatus


@dataclass(frozen=True)
class CheckedIn:
    """A new check-in (``repeat`` False) or today's existing one shown again."""

    checkin_id: str
    resident_id: str
    masked_name: str
    queue_no: int
    local_date: str
    follow_up: FollowUpStatus
    repeat: bool = False
    event_seq: int | None = None
    legacy: bool = False  # a UID-only card of an older system (weaker, shown as such)
    verified: bool = True  # False: another township's card not checked (no "my record")
    visitor_card: str | None = None  # checked in offline against her card number (no name)
    kind: str = "checked_in"


@dataclass(frozen=True)
class UnknownCard:
    uid_fingerprint: str
    event_seq: int
    kind: str = "unknown_card"


@dataclass(frozen=True)
class CardRefused:
    """A card whose record must not be honoured: a copy, forged, revoked or unreadable; a copy
    of a card that authenticates ("not_authentic"); or a card this station asks her to
    exchange at the desk for one that proves itself ("exchange")."""

    reason: str
    event_seq: int
    kind: str = "card_refused"


@dataclass(frozen=True)
class TechnicianCard:
    """A technician's card: the station asks for the PIN (never checks anyone in)."""

    technician_id: str
    name: str
    card_no: str
    kind: str = "technician_card"


@dataclass(frozen=True)
class CardIssued:
    card_no: str
    role: str
    holder_id: str
    kind: str = "card_issued"


@dataclass(frozen=True)
class IssueFailed:
    message: str  # a gettext msgid for the technician
    kind: str = "issue_failed"


@dataclass(frozen=True)
class ReadFailed:
    """The card could not be read: she should tap again (or ask staff for a strange card)."""

    reason: str  # "removed" (pulled away mid-read), "unsupported", "io"
    detail: str = ""
    kind: str = "read_failed"


@dataclass(frozen=True)
class ResidentAtDesk:
    """A resident's card on the desk reader: the technician's desk opens her record (no
    check-in, nothing on the public screen)."""

    resident_id: str
    card_no: str
    kind: str = "resident_at_desk"


@dataclass(frozen=True)
class VisitorCard:
    """A card another station issued for a resident this station does not hold: the station
    looks her up at the county (kiosk.station.visitors) before it checks her in."""

    card_no: str
    issuer: str
    record: bytes
    kind: str = "visitor_card"


TapOutcome = (CheckedIn | UnknownCard | CardRefused | TechnicianCard | CardIssued | IssueFailed
              | ReadFailed | ResidentAtDesk | VisitorCard)
