"""Issuing, revoking and recognising cards.

A tapped card is honoured only if its record verifies for its own UID and its
number is active here; a card whose record binds a key must also prove it holds
that key on this tap (kiosk.domain.card_auth); a legacy UID-only binding (cards
issued by older systems) is honoured only when the station turns that weaker
mode on. With ``require_authenticated`` a card that cannot prove itself is
refused with reason "exchange": she is asked to exchange it at the desk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.domain.card_auth import Personalised, Verdict, judge
from kiosk.domain.card_records import (
    MAX_FILE,
    MAX_FRAMED,
    CardRecord,
    RecordRefused,
    Verifier,
    frame,
    new_card_no,
    parse_record,
    sign_record,
    verify_record,
)
from kiosk.domain.cards import random_uid, uid_hash
from kiosk.domain.events import Signer
from kiosk.domain.model import IssuedCard, ReadCard
from kiosk.domain.unit_of_work import Clock, UnitOfWork
from kiosk.domain.validation import Invalid
from kiosk.domain.visitors import Visiting
from kiosk.errors import CardIOError

# Writes a framed record onto the card and returns the record read back from it.
WriteBack = Callable[[bytes], bytes | None]
# Gives the card on the reader its keys at issuance (kiosk.ports.CardReader.personalise).
Personalise = Callable[[], Personalised]
CARD_KINDS = ("cpu", "cpu-ecc", "desfire", "mifare")


@dataclass(frozen=True)
class Holder:
    role: str  # "resident" | "technician"
    holder_id: str
    card_no: str | None  # None for a legacy UID-only card
    legacy: bool = False
    verified: bool = True  # False: another township's card the station could not check


@dataclass(frozen=True)
class RefusedIdentity:
    reason: str  # "copied", "forged", "unknown_issuer", "malformed", "revoked",
    # "not_authentic" (a copy of an authenticating card), "exchange", "unverified"
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
                 revoked_at: Callable[[str], Revocation | None] | None = None,
                 require_authenticated: bool = False, unverified_visitors: bool = True):
        self.uow_factory, self.clock, self.station_id = uow_factory, clock, station_id
        self.signer, self.verify, self.legacy_uid_only = signer, verify, legacy_uid_only
        self.revoked_at = revoked_at  # when the county revoked an issuing station, if it did
        self.require_authenticated = require_authenticated
        self.unverified_visitors = unverified_visitors

    # -- recognising ------------------------------------------------------------
    def identify(self, uow: UnitOfWork, card: ReadCard) -> Identity:
        if card.record is not None:
            try:
                record = verify_record(card.record, card.uid, self.verify, check_uid=False)
            except RecordRefused as refused:
                return RefusedIdentity(refused.reason)
            # a DESFire card with a random UID shows its real one only once authenticated:
            # then the reader reports that; before, its authentication alone can tell
            random = record.auth is not None and record.auth.profile == "desfire" \
                and random_uid(card.uid)
            if record.uid != card.uid and not random:
                return RefusedIdentity("copied")
            verdict = judge(record.auth, card.proof)
            if verdict == "not_authentic":  # a copy of everything readable, without the key
                return RefusedIdentity("not_authentic", record.card_no)
            revoked = self.revoked_at(record.station_id) if self.revoked_at else None
            if revoked is not None and record.issued_at >= revoked.at:  # its key is untrusted
                return RefusedIdentity("unknown_issuer", record.card_no)
            issued = uow.issued_cards.get(record.card_no)
            if issued is None:
                if uow.issued_cards.known_revoked(record.card_no):
                    return RefusedIdentity("revoked", record.card_no)
                if record.role == "resident" and record.station_id != self.station_id:
                    # another station's resident, whom the county will tell the station about
                    return self._unaccepted(verdict, record.card_no) or Visiting(record,
                                                                                 card.record)
                return Unrecognised()
            if issued.status != "active":
                return RefusedIdentity("revoked", record.card_no)
            if (revoked is not None and revoked.trusted_seq is not None
                    and (issued.roster_seq or 0) > revoked.trusted_seq):
                return RefusedIdentity("unknown_issuer", record.card_no)  # issued after trust
            if issued.role != record.role or not _binds(issued, record, record.uid, self.station_id):
                return RefusedIdentity("copied", record.card_no)
            return self._unaccepted(verdict, record.card_no) or Holder(
                issued.role, issued.holder_id, issued.card_no, verified=verdict != "unverified")
        if self.legacy_uid_only:
            bound = uow.cards.by_uid_hash(uid_hash(card.uid))
            if bound and bound.status == "active":
                if self.require_authenticated:
                    return RefusedIdentity("exchange")
                return Holder("resident", bound.resident_id, None, legacy=True)
        return Unrecognised()

    def _unaccepted(self, verdict: Verdict, card_no: str) -> RefusedIdentity | None:
        """A genuine card this station still does not take: one that cannot prove itself where
        only cards that do are taken, or another township's it could not check."""
        if verdict == "none" and self.require_authenticated:
            return RefusedIdentity("exchange", card_no)
        if verdict == "unverified" and not self.unverified_visitors:
            return RefusedIdentity("unverified", card_no)
        return None

    def unverified(self, card: ReadCard) -> bool:
        """Whether this tap's card is one of another township that could not be checked (its
        check-in shows, "my record" is not offered), whichever way she was checked in."""
        try:
            record = parse_record(card.record) if card.record else None
        except RecordRefused:
            return False
        return record is not None and judge(record.auth, card.proof) == "unverified"

    def issued_to_someone(self, card: ReadCard) -> bool:
        """An active card of this station's (not a legacy UID binding): never to be issued
        again until revoked."""
        with self.uow_factory() as uow:
            current = self.identify(uow, card)
        return isinstance(current, Holder) and not current.legacy

    # -- issuing ----------------------------------------------------------------
    def check_issuable(self, role: str, holder_id: str, card: ReadCard) -> None:
        """Invalid unless this card may be issued to this holder (nothing is written yet)."""
        if card.kind not in CARD_KINDS:
            raise Invalid("card", "This card has no storage the kiosk can write")
        if card.kind == "mifare" and self.require_authenticated:
            raise Invalid("card", "This station issues only cards that prove themselves "
                                  "(DESFire or cpu-ecc)")
        with self.uow_factory() as uow:
            holder = (uow.residents.get(holder_id) if role == "resident"
                      else uow.technicians.get(holder_id))
            if holder is None:
                raise Invalid("card", "No such resident")
            current = self.identify(uow, card)
            if isinstance(current, Visiting) or (isinstance(current, Holder)
                                                 and not current.legacy):
                raise Invalid("card", "This card is already issued; revoke it first")

    def prepare(self, role: str, holder_id: str, card: ReadCard,
                made: Personalised | None = None) -> tuple[CardRecord, bytes]:
        """The signed record to write onto this card (nothing is stored yet); ``made``: what
        its personalisation gave it (its real UID, the key the record must bind)."""
        if made is None:
            self.check_issuable(role, holder_id, card)
        binding = made.binding if made else None
        record = CardRecord(new_card_no(), role, made.uid if made else card.uid,
                            int(self.clock.now().timestamp()), self.station_id, auth=binding)
        return record, sign_record(record, self.signer)

    def issue(self, role: str, holder_id: str, card: ReadCard, write: WriteBack, by: str,
              reason: str = "new", personalise: Personalise | None = None) -> IssuedCard:
        """The one way a card is issued: give it its keys, sign a record (binding the key of a
        card that authenticates), write it, compare the read-back (the reader has the card
        authenticate once), store.

        ``personalise`` and ``write`` are the card reader's (or a virtual card's); a
        read-back that differs raises CardIOError and nothing is stored.
        """
        self.check_issuable(role, holder_id, card)
        made = personalise() if personalise else Personalised(card.kind, card.uid)
        if made.binding is None and (self.require_authenticated or reason == "exchange"):
            raise Invalid("card", "This card cannot prove itself: use a DESFire or cpu-ecc card")
        record, data = self.prepare(role, holder_id, card, made)
        limit = MAX_FRAMED if made.kind == "mifare" else MAX_FILE
        if write(frame(data, limit)) != data:
            raise CardIOError("read back differs from what was written")
        return self.issued(record, holder_id, made.kind, by, reason)

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
                                            "reason": "exchanged" if reason == "exchange"
                                            else "reissued", "by": by,
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
