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
    kind: str = "checked_in"


@dataclass(frozen=True)
class UnknownCard:
    uid_fingerprint: str
    event_seq: int
    kind: str = "unknown_card"


@dataclass(frozen=True)
class ReadFailed:
    """The card could not be read: she should tap again (or ask staff for a strange card)."""

    reason: str  # "removed" (pulled away mid-read), "unsupported", "io"
    detail: str = ""
    kind: str = "read_failed"


TapOutcome = CheckedIn | UnknownCard | ReadFailed
