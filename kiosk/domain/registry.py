"""Registering residents, correcting their details, her consent, and audited record views.

Collect only what the service needs: name, birth date, village, optional phone.
A national ID number is never stored; if staff enter one to find duplicates it
is kept only as a keyed hash, and looked up whether or not she consents (a second record
for the same person is refused either way). Without her consent to processing of health
information, only her name is kept (for the card binding). Every change is an
event that names the technician; corrections are new events, never edits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from kiosk.domain import validation
from kiosk.domain.model import Resident, local_date
from kiosk.domain.unit_of_work import Clock, UnitOfWork
from kiosk.domain.validation import Invalid

CONSENT_VERSION = "health-data-consent-v1"
CORRECTABLE = ("name", "birth_date", "village", "phone")


@dataclass(frozen=True)
class Search:
    """What a technician's search box holds, sorted by kind. Only ``kind`` is audited: the
    text itself (a name, a phone, an ID number) never goes into an event."""

    kind: str  # "name" (or a resident id), "phone", "national_id"
    text: str = ""  # matched as typed: a name or a phone
    id_hash: str | None = None  # an ID number, matched through its keyed hash only


@dataclass(frozen=True)
class Registration:
    name: str
    birth_date: str = ""
    village: str = ""
    phone: str = ""
    national_id: str = ""
    consent: bool = False
    # the ID number's keyed hash (IdKey.hash), carried by a form that must not show the number
    # again; used when ``national_id`` is empty
    national_id_hash: str = ""


# Kept only with her consent; without it the form names them before saving (and after).
KEPT_WITH_CONSENT = ("birth_date", "village", "phone", "national_id")


@dataclass(frozen=True)
class IdKey:
    """An ID number as the station may hold it: its keyed hash, and a masked form for a screen
    anyone may see (110***********803X)."""

    hash: str
    masked: str


class DuplicateId(Invalid):
    """A resident with this ID number is already registered (``resident_id``)."""

    def __init__(self, resident_id: str):
        super().__init__("national_id", "A resident with this ID number is already registered")
        self.resident_id = resident_id


def mask_id_number(national_id: str) -> str:
    """110101199003078031 -> 110***********8031: enough to tell two apart, not to use one."""
    return national_id[:3] + "*" * (len(national_id) - 7) + national_id[-4:]


class ResidentRegistry:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Clock, timezone: str,
                 id_hash_key: bytes):
        self.uow_factory, self.clock, self.timezone = uow_factory, clock, timezone
        self.id_hash_key = id_hash_key

    def _today(self) -> dt.date:
        return local_date(self.clock.now(), self.timezone)

    def _now(self) -> str:
        return self.clock.now().astimezone(dt.UTC).isoformat(timespec="seconds")

    def _card_present(self, uow: UnitOfWork, resident_id: str) -> dict[str, str]:
        """``card_no``: her card when she checked in here today with it (she is at the desk);
        other stations apply a change to her record only with it (roster rules, issue 13)."""
        if uow.checkins.for_resident_on(resident_id, self._today().isoformat()) is None:
            return {}
        cards = uow.issued_cards.active_for(resident_id)
        return {"card_no": cards[0].card_no} if cards else {}

    def id_hash(self, national_id: str) -> str:
        return hmac.new(self.id_hash_key, b"kiosk-national-id-v1:" + national_id.encode(),
                        hashlib.sha256).hexdigest()

    def search(self, text: str) -> Search:
        """Sort a search: 18 ID characters are an ID number (hashed, never kept as typed),
        digits are a phone, anything else a name."""
        compact = re.sub(r"[\s-]", "", text).upper()
        if re.fullmatch(r"[0-9]{17}[0-9X]", compact):
            return Search("national_id", id_hash=self.id_hash(compact))
        if re.fullmatch(r"\+?[0-9]{5,20}", compact):
            return Search("phone", compact)
        return Search("name", text)

    def id_key(self, national_id: str) -> IdKey | None:
        """The hash and masked form of a typed ID number (Invalid when it is not one)."""
        national = validation.national_id(national_id)
        return IdKey(self.id_hash(national), mask_id_number(national)) if national else None

    def _id_hash(self, form: Registration) -> str | None:
        if form.national_id:
            key = self.id_key(form.national_id)
            return key.hash if key else None
        if form.national_id_hash and not re.fullmatch(r"[0-9a-f]{64}", form.national_id_hash):
            raise Invalid("national_id", "An ID number has 17 digits and a check digit")
        return form.national_id_hash or None

    def _unique_id(self, uow: UnitOfWork, id_hash: str | None) -> None:
        found = uow.residents.by_national_id_hash(id_hash) if id_hash else None
        if found is not None:
            raise DuplicateId(found.id)

    def check(self, form: Registration) -> dict[str, Any]:
        """The form's fields as they would be kept (Invalid naming the first wrong one, the ID
        number first), and DuplicateId when its ID number is registered already: whether or
        not she consents. Nothing is written."""
        id_hash = self._id_hash(form)
        fields = self._checked(form)
        with self.uow_factory() as uow:
            self._unique_id(uow, id_hash)
        return fields

    def _checked(self, form: Registration) -> dict[str, Any]:
        return {"name": validation.text("name", form.name),
                "birth_date": validation.date("birth_date", form.birth_date, required=form.consent,
                                              not_after=self._today(),
                                              not_before=dt.date(1900, 1, 1)),
                "village": validation.text("village", form.village, required=form.consent),
                "phone": validation.phone(form.phone)}

    def register(self, form: Registration, by: str) -> Resident:
        id_hash = self._id_hash(form)
        fields = self._checked(form)
        with self.uow_factory() as uow:
            self._unique_id(uow, id_hash)  # with or without her consent: one record per person
            now = self._now()
            if form.consent:
                resident = Resident(f"res-{uuid.uuid4().hex[:12]}", national_id_hash=id_hash,
                                    consent_version=CONSENT_VERSION, consent_at=now,
                                    registered_at=now, **fields)
            else:  # no consent: nothing beyond the card binding
                resident = Resident(f"res-{uuid.uuid4().hex[:12]}", fields["name"],
                                    registered_at=now)
            uow.residents.add(resident)
            uow.record("resident.registered", {**{k: v for k, v in vars(resident).items()},
                                               "by": by})
            if form.consent:
                uow.record("consent.given", {"resident_id": resident.id,
                                             "version": CONSENT_VERSION, "by": by})
            uow.commit()
            return resident

    def correct(self, resident_id: str, changes: dict[str, str], by: str) -> Resident:
        with self.uow_factory() as uow:
            resident = existing_resident(uow, resident_id)
            form = Registration(**{k: changes.get(k, getattr(resident, k) or "")
                                   for k in CORRECTABLE}, consent=resident.consented)
            checked = self._checked(form)
            changed = {k: v for k, v in checked.items() if v != getattr(resident, k)}
            if not resident.consented:
                changed = {k: v for k, v in changed.items() if k == "name"}
            if changed:
                uow.residents.update(replace(resident, **changed))
                uow.record("resident.corrected", {"resident_id": resident_id,
                                                  "changes": changed, "by": by,
                                                  **self._card_present(uow, resident_id)})
            uow.commit()
            return replace(resident, **changed)

    def give_consent(self, resident_id: str, by: str) -> None:
        with self.uow_factory() as uow:
            resident = existing_resident(uow, resident_id)
            now = self._now()
            uow.residents.update(replace(resident, consent_version=CONSENT_VERSION, consent_at=now))
            uow.record("consent.given", {"resident_id": resident_id, "version": CONSENT_VERSION,
                                         "by": by, **self._card_present(uow, resident_id)})
            uow.commit()

    def withdraw_consent(self, resident_id: str, by: str) -> None:
        """She withdraws: no new health records; existing ones stay in the signed log."""
        with self.uow_factory() as uow:
            resident = existing_resident(uow, resident_id)
            uow.residents.update(replace(resident, consent_version=None, consent_at=None))
            uow.record("consent.withdrawn", {"resident_id": resident_id, "by": by,
                                             **self._card_present(uow, resident_id)})
            uow.commit()

    def move(self, resident_id: str, to: str, own: str, by: str) -> str:
        """She now lives in another township (issue 24): a signed ``resident.moved`` from her
        home station, or from this one while she is here (the county and her home accept it
        when her card was tapped here lately). Moved away from here, her record is forgotten
        once she has no check-in today (kiosk.store.visitors); the station she moved to gets
        her whole record from the county. Returns the station she moved from."""
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{2,63}", to or ""):
            raise Invalid("station", "Choose one of the options")
        with self.uow_factory() as uow:
            existing_resident(uow, resident_id)
            home = uow.homes.get(resident_id) or own
            if to == home:
                raise Invalid("station", "She already lives there")
            uow.record("resident.moved", {"resident_id": resident_id, "from": home, "to": to,
                                          "by": by, **self._card_present(uow, resident_id)})
            if to == own:
                uow.homes.clear(resident_id)
            else:
                uow.homes.set(resident_id, to)
            uow.commit()
            return home

    def viewed(self, resident_id: str, by: str, what: str = "record") -> None:
        """Audit: a technician opened her record (she sees this in her own view)."""
        with self.uow_factory() as uow:
            existing_resident(uow, resident_id)
            uow.record_views.add(resident_id, by, self._now(), what)
            uow.record("record.viewed", {"resident_id": resident_id, "technician_id": by,
                                         "what": what})
            uow.commit()



def existing_resident(uow: UnitOfWork, resident_id: str) -> Resident:
    """Her registration, or Invalid naming the field for the technician's page."""
    resident = uow.residents.get(resident_id)
    if resident is None:
        raise Invalid("resident", "No such resident")
    return resident
