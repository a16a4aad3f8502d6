"""Visitors (issue 24): a resident of another station whose card is tapped here.

A station holds its own residents only. A card that another station issued for a resident,
with a record that verifies, is a visitor's card: the station records its own signed
``visitor.tapped`` event and asks the county for her record (kiosk.station.visitors). With
the county out of reach she is still checked in, against her card number: the card's signed
record proves the card, a stand-in resident row (no name, ``visitor-<card number>``) holds
the check-in, the screen greets her without a name and the receipt shows the number; the
check-in is linked to her record when the station next reaches the county
(``checkin.linked``). A looked-up visitor is kept ``roster.visitor_days`` after her last
tap here, then forgotten (kiosk.store.visitors)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from kiosk.domain.card_records import CardRecord

PLACEHOLDER = "visitor-"
TAPPED = "visitor.tapped"        # the station's own signed tap of a visitor's card
LOOKED_UP = "visitor.looked_up"  # her record came from the county for that tap
LINKED = "checkin.linked"        # an offline check-in, linked to her record later


def record_digest(record: bytes) -> str:
    """What the tap event says of the card's record: its SHA-256, which names the record
    without revealing the UID inside it."""
    return hashlib.sha256(record).hexdigest()


def placeholder_id(card_no: str) -> str:
    """The stand-in resident that holds an unlinked visitor's check-ins."""
    return PLACEHOLDER + card_no


def placeholder_card(resident_id: str) -> str | None:
    """The card number behind a stand-in resident, or None for a real resident."""
    return resident_id[len(PLACEHOLDER):] if resident_id.startswith(PLACEHOLDER) else None


@dataclass(frozen=True)
class Visiting:
    """A card another station issued for a resident this station does not hold: its record
    verified (signed by its issuer, for this very card) and its number is not revoked here."""

    record: CardRecord
    data: bytes  # the signed record as read from the card (sent to the county to look her up)

    @property
    def card_no(self) -> str:
        return self.record.card_no
