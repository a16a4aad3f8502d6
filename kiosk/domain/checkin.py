"""The check-in rule: one check-in per resident per station-local day, numbered in order."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from kiosk.domain.card_desk import CardDesk, Holder, RefusedIdentity
from kiosk.domain.card_records import parse_record
from kiosk.domain.cards import uid_fingerprint
from kiosk.domain.events import Event
from kiosk.domain.model import CheckIn, FollowUpStatus, ReadCard, Resident, local_date, mask_name
from kiosk.domain.outcomes import (
    CardRefused,
    CheckedIn,
    ResidentAtDesk,
    TapOutcome,
    TechnicianCard,
    UnknownCard,
    VisitorCard,
)
from kiosk.domain.queue import new_entry
from kiosk.domain.trusted_time import NOT_SET
from kiosk.domain.unit_of_work import Clock, UnitOfWork
from kiosk.domain.visitors import TAPPED, Visiting, placeholder_id, record_digest


class CheckInService:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Clock, station_id: str,
                 timezone: str, station_secret: bytes, desk: CardDesk,
                 names_shown: Callable[[str], bool] = lambda plan: False):
        """``names_shown(plan_id)`` says whether a plan's item names may appear on the public
        screen; by default none do, and the screen shows their dates only."""
        self.uow_factory, self.clock = uow_factory, clock
        self.station_id, self.timezone = station_id, timezone
        self.station_secret, self.desk = station_secret, desk
        self.names_shown = names_shown

    def _whose(self, uow: UnitOfWork, card: ReadCard) -> TapOutcome | tuple[Resident, Holder]:
        """A refused, unknown or technician card's outcome (refusals and unknown cards are
        recorded), or the resident the card belongs to."""
        identity = self.desk.identify(uow, card)
        if isinstance(identity, Visiting):  # kiosk.station.visitors looks her up first
            return VisitorCard(identity.card_no, identity.record.station_id, identity.data)
        fingerprint = uid_fingerprint(card.uid, self.station_secret)
        if isinstance(identity, RefusedIdentity):
            event = uow.record("card.refused", {"reason": identity.reason,
                                                "card_no": identity.card_no,
                                                "uid_fingerprint": fingerprint})
            uow.commit()
            return CardRefused(identity.reason, event.seq)
        if isinstance(identity, Holder) and identity.role == "technician":
            tech = uow.technicians.get(identity.holder_id)
            if tech and tech.active:
                return TechnicianCard(tech.id, tech.name, identity.card_no or "")
        resident = (uow.residents.get(identity.holder_id)
                    if isinstance(identity, Holder) and identity.role == "resident" else None)
        if resident is None:
            event = uow.record("card.unknown", {"uid_fingerprint": fingerprint,
                                                "uid_length": len(card.uid)})
            uow.commit()
            return UnknownCard(fingerprint, event.seq)
        assert isinstance(identity, Holder)  # a resident was found for it
        return resident, identity

    def at_desk(self, card: ReadCard) -> TapOutcome:
        """A tap on the technician's desk reader: whose card it is, never a check-in."""
        with self.uow_factory() as uow:
            found = self._whose(uow, card)
            if isinstance(found, tuple):
                return ResidentAtDesk(found[0].id, found[1].card_no or "")
            return found

    def handle_tap(self, card: ReadCard | bytes, refresh: bool = True) -> TapOutcome:
        """Check her in; a card of a resident this station does not hold, or (``refresh``) of
        a visitor it looked up before today, is a ``VisitorCard``: kiosk.station.visitors asks
        the county for her record first."""
        card = card if isinstance(card, ReadCard) else ReadCard(card)
        with self.uow_factory() as uow:
            found = self._whose(uow, card)
            if not isinstance(found, tuple):
                return found
            resident, identity = found
            legacy, verified = identity.legacy, identity.verified
            now = self.clock.now()
            today = local_date(now, self.timezone)
            if refresh and card.record and identity.card_no and uow.visitors.stale(
                    resident.id, today.isoformat()):
                return VisitorCard(identity.card_no, parse_record(card.record).station_id,
                                   card.record)
            follow_up = FollowUpStatus.from_items(uow.care_items.for_resident(resident.id),
                                                  today).for_public(self.names_shown)
            existing = uow.checkins.for_resident_on(resident.id, today.isoformat())
            if existing:
                return CheckedIn(existing.id, resident.id, mask_name(resident.name), existing.queue_no,
                                 existing.local_date, follow_up, repeat=True, legacy=legacy,
                                 verified=verified)
            uow.visitors.tapped(resident.id, today.isoformat())  # a visitor is kept longer
            checkin, event = self._new_checkin(uow, resident.id, today, {"card_no": identity.card_no})
            return CheckedIn(checkin.id, resident.id, mask_name(resident.name), checkin.queue_no,
                             checkin.local_date, follow_up, event_seq=event.seq, legacy=legacy,
                             verified=verified)

    def _new_checkin(self, uow: UnitOfWork, resident_id: str, today: dt.date,
                     extra: dict[str, object]) -> tuple[CheckIn, Event]:
        """A check-in with the next queue number, its queue entry, receipt and event;
        committed."""
        now = self.clock.now()
        # Nothing vouches for the clock (kiosk.domain.trusted_time): she is checked in all
        # the same, on the station's best guess of the day, and the check-in is flagged
        # with where in this boot it happened, to be dated right once the clock is set.
        unconfirmed = self.clock.source() == NOT_SET
        checkin = CheckIn(
            id=str(uuid.uuid4()), resident_id=resident_id, station_id=self.station_id,
            local_date=today.isoformat(),
            queue_no=uow.checkins.next_queue_no(self.station_id, today.isoformat()),
            checked_in_at=now.astimezone(dt.UTC).isoformat(timespec="seconds"),
            time_unconfirmed=unconfirmed,
            boot_id=self.clock.boot_id() if unconfirmed else None,
            mono_ns=self.clock.monotonic_ns() if unconfirmed else None,
        )
        uow.checkins.add(checkin)
        uow.queue.add(new_entry(checkin.id, checkin.local_date, checkin.queue_no))
        uow.print_jobs.enqueue(checkin.id, "checkin", checkin.checked_in_at)
        event = uow.record("checkin.created", {
            "checkin_id": checkin.id, "resident_id": extra.pop("resident_id", resident_id),
            "local_date": checkin.local_date, "queue_no": checkin.queue_no, **extra,
            **({"time_unconfirmed": True} if unconfirmed else {}),
        })
        uow.commit()
        return checkin, event

    # -- visitors (kiosk.domain.visitors) ---------------------------------------------
    def visitor_tapped(self, visitor: VisitorCard) -> int:
        """The station's own signed record that her card was tapped here, which a lookup at
        the county presents (the card's record only as its SHA-256); its seq."""
        with self.uow_factory() as uow:
            event = uow.record(TAPPED, {"card_no": visitor.card_no, "issuer": visitor.issuer,
                                        "record": record_digest(visitor.record)})
            uow.commit()
            return event.seq

    def check_in_visitor(self, visitor: VisitorCard, tap_seq: int) -> CheckedIn:
        """The county is out of reach: she is checked in against her card number (its signed
        record proved the card), greeted without a name; linked to her record later."""
        with self.uow_factory() as uow:
            holder = placeholder_id(visitor.card_no)
            if uow.residents.get(holder) is None:
                uow.residents.add(Resident(holder, ""))
            now = self.clock.now()
            today = local_date(now, self.timezone)
            uow.visitors.wait_for_link(visitor.card_no, visitor.issuer, visitor.record.hex(),
                                       tap_seq, now.astimezone(dt.UTC).isoformat(timespec="seconds"))
            empty = FollowUpStatus.from_items([], today)
            existing = uow.checkins.for_resident_on(holder, today.isoformat())
            if existing:
                uow.commit()
                return CheckedIn(existing.id, holder, "", existing.queue_no, existing.local_date,
                                 empty, repeat=True, visitor_card=visitor.card_no)
            checkin, event = self._new_checkin(uow, holder, today, {
                "resident_id": None, "card_no": visitor.card_no, "visitor": True})
            return CheckedIn(checkin.id, holder, "", checkin.queue_no, checkin.local_date, empty,
                             event_seq=event.seq, visitor_card=visitor.card_no)
