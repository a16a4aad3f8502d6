"""Issuing, revoking and recognising cards.

A tapped card is honoured only if its record verifies for its own UID and its
number is active here; a legacy UID-only binding (cards issued by older
systems) is honoured only when the station turns that weaker mode on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.domain.card_records import (
    CardRecord,
    RecordRefused,
    Verifier,
    frame,
    new_card_no,
    sign_record,
    verify_record,
)
from kiosk.domain.cards import uid_hash
from kiosk.domain.events import Signer
from kiosk.domain.model import IssuedCard, ReadCard
from kiosk.domain.unit_of_work import Clock, UnitOfWork
from kiosk.domain.validation import Invalid
from kiosk.domain.visitors import Visiting
from kiosk.errors import CardIOError

# Writes a framed record onto the card and returns the record read back from it.
WriteBack = Callable[[bytes], bytes | None]


@dataclass(frozen=True)
class Holder:
    role: str  # "resident" | "technician"
    holder_id: str
    card_no: str | None  # None for a legacy UID-only card
    legacy: bool = False


@dataclass(frozen=True)
class RefusedIdentity:
    reason: str  # "copied", "forged", "unknown_issuer", "malformed", "revoked"
    card_no: str | None = None


@dataclass(frozen=True)
class Unrecognised:
    """A blank card, or one issued elsewhere that this station does not know (yet)."""


Identity = Holder | RefusedIdentity | Unrecognised | Visiting


@dataclass(frozen=True)
class Revocation:
    """When the county revoked a station (epoch seconds), and the last seq of its chain it
    still trusts: its cards count only if dated before and issued at or before that seq."""

    at: float
    trusted_seq: int | None = None


def _binds(issued: IssuedCard, record: CardRecord, uid: bytes, own_station: str) -> bool:
    """Whether this verified record is the one issued under its card number. Own cards keep
    the UID hash; another station's card (from the roster, no UID hash) must carry a record
    signed by the station that issued that number, whose signature binds the UID. So must an
    own card rebuilt by a restore (the UID hash never left the old station): signed by this
    station's key, or the key before it."""
    if issued.uid_hash:
        return issued.uid_hash == uid_hash(uid)
    if issued.issued_by.startswith("station:"):
        return issued.issued_by == f"station:{record.station_id}"
    return record.station_id == own_station


class CardDesk:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Clock, station_id: str,
                 signer: Signer, verify: Verifier, legacy_uid_only: bool = False,
                 revoked_at: Callable[[str], Revocation | None] | None = None):
        self.uow_factory, self.clock, self.station_id = uow_factory, clock, station_id
        self.signer, self.verify, self.legacy_uid_only = signer, verify, legacy_uid_only
        self.revoked_at = revoked_at  # when the county revoked an issuing station, if it did

    # -- recognising ------------------------------------------------------------
    def identify(self, uow: UnitOfWork, card: ReadCard) -> Identity:
        if card.record is not None:
            try:
                record = verify_record(card.record, card.uid, self.verify)
            except RecordRefused as refused:
                return RefusedIdentity(refused.reason)
            revoked = self.revoked_at(record.station_id) if self.revoked_at else None
            if revoked is not None and record.issued_at >= revoked.at:  # its key is untrusted
                return RefusedIdentity("unknown_issuer", record.card_no)
            issued = uow.issued_cards.get(record.card_no)
            if issued is None:
                if uow.issued_cards.known_revoked(record.card_no):
                    return RefusedIdentity("revoked", record.card_no)
                if record.role == "resident" and record.station_id != self.station_id:
                    return Visiting(record, card.record)  # another station's resident
                return Unrecognised()
            if issued.status != "active":
                return RefusedIdentity("revoked", record.card_no)
            if (revoked is not None and revoked.trusted_seq is not None
                    and (issued.roster_seq or 0) > revoked.trusted_seq):
                return RefusedIdentity("unknown_issuer", record.card_no)  # issued after trust
            if issued.role != record.role or not _binds(issued, record, card.uid, self.station_id):
                return RefusedIdentity("copied", record.card_no)
            return Holder(issued.role, issued.holder_id, issued.card_no)
        if self.legacy_uid_only:
            bound = uow.cards.by_uid_hash(uid_hash(card.uid))
            if bound and bound.status == "active":
                return Holder("resident", bound.resident_id, None, legacy=True)
        return Unrecognised()

    def issued_to_someone(self, card: ReadCard) -> bool:
        """An active card of this station's (not a legacy UID binding): never to be issued
        again until revoked."""
        with self.uow_factory() as uow:
            current = self.identify(uow, card)
        return isinstance(current, Holder) and not current.legacy

    # -- issuing ----------------------------------------------------------------
    def prepare(self, role: str, holder_id: str, card: ReadCard) -> tuple[CardRecord, bytes]:
        """The signed record to write onto this card (nothing is stored yet)."""
        if card.kind not in ("cpu", "mifare"):
            raise Invalid("card", "This card has no storage the kiosk can write")
        with self.uow_factory() as uow:
            holder = (uow.residents.get(holder_id) if role == "resident"
                      else uow.technicians.get(holder_id))
            if holder is None:
                raise Invalid("card", "No such resident")
            current = self.identify(uow, card)
            if isinstance(current, Visiting) or (isinstance(current, Holder)
                                                 and not current.legacy):
                raise Invalid("card", "This card is already issued; revoke it first")
        record = CardRecord(new_card_no(), role, card.uid, int(self.clock.now().timestamp()),
                            self.station_id)
        return record, sign_record(record, self.signer)

    def issue(self, role: str, holder_id: str, card: ReadCard, write: WriteBack, by: str,
              reason: str = "new") -> IssuedCard:
        """The one way a card is issued: sign a record, write it, compare the read-back, store.

        ``write`` is the card reader's (or a virtual card's) write-and-read-back; a
        read-back that differs raises CardIOError and nothing is stored.
        """
        record, data = self.prepare(role, holder_id, card)
        if write(frame(data)) != data:
            raise CardIOError("read back differs from what was written")
        return self.issued(record, holder_id, card.kind, by, reason)

    def issued(self, record: CardRecord, holder_id: str, kind: str, by: str,
               reason: str = "new") -> IssuedCard:
        """Store a record that was written and read back; earlier cards of hers are revoked."""
        issued_at = dt.datetime.fromtimestamp(record.issued_at, dt.UTC).isoformat()
        card = IssuedCard(record.card_no, record.role, holder_id, uid_hash(record.uid),
                          kind, issued_at, by)
        with self.uow_factory() as uow:
            earlier = uow.issued_cards.active_for(card.holder_id)
            uow.issued_cards.add(card)
            uow.record("card.issued", {"card_no": card.card_no, "role": card.role,
                                       "holder_id": card.holder_id, "uid_hash": card.uid_hash,
                                       "kind": kind, "reason": reason, "by": by})
            # Each revocation names the card that replaces it: her home station may revoke a
            # card issued elsewhere only as such a signed pair (roster rules).
            for old in earlier:
                uow.issued_cards.set_status(old.card_no, "revoked")
                uow.record("card.revoked", {"card_no": old.card_no, "holder_id": old.holder_id,
                                            "reason": "reissued", "by": by,
                                            "replaced_by": card.card_no})
            uow.commit()
        return card

    def revoke(self, card_no: str, by: str, reason: str = "lost") -> None:
        with self.uow_factory() as uow:
            card = uow.issued_cards.get(card_no)
            if card is None:
                raise Invalid("card", "No such card")
            if card.status == "active":
                uow.issued_cards.set_status(card_no, "revoked")
                uow.record("card.revoked", {"card_no": card_no, "holder_id": card.holder_id,
                                            "reason": reason, "by": by})
            uow.commit()
