"""Technicians and their PINs: scrypt with a per-technician salt, and a lockout that
survives restarts because it is stored (with its event) in the database. Lockouts double
(5, 10, 20 minutes); the wrong PINs after the third block the technician until another
technician or the console unblocks them, so a stolen card gets about 20 guesses in all."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from kiosk.domain import validation
from kiosk.domain.model import Technician
from kiosk.domain.unit_of_work import Clock, UnitOfWork
from kiosk.errors import KioskError


class UnknownTechnician(KioskError, LookupError):
    """No technician has this id."""


class SelfUnblock(KioskError, PermissionError):
    """A blocked technician tried to unblock themselves: another technician or the console must."""


MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=5)  # the first; each next one doubles
MAX_LOCKOUTS = 3  # then the next MAX_FAILURES wrong PINs block the technician
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # about 16 MiB and 50 ms on a Pi 4


def hash_pin(pin: str, salt: bytes) -> str:
    kdf = Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return kdf.derive(pin.encode("ascii")).hex()


def new_technician(name: str, pin: str) -> Technician:
    name = validation.text("name", name)
    pin = validation.pin(pin)
    salt = secrets.token_bytes(16)
    return Technician(f"tech-{uuid.uuid4().hex[:12]}", name, hash_pin(pin, salt), salt.hex(),
                      pin_digits=len(pin))


@dataclass(frozen=True)
class PinResult:
    ok: bool
    technician: Technician | None = None
    locked_until: str | None = None  # set while locked
    attempts_left: int = MAX_FAILURES
    blocked: bool = False  # until unblocked by another technician or the console


def _iso(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).isoformat(timespec="seconds")


class StaffService:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Clock):
        self.uow_factory, self.clock = uow_factory, clock

    def add(self, name: str, pin: str, by: str = "console") -> Technician:
        technician = new_technician(name, pin)
        with self.uow_factory() as uow:
            uow.technicians.add(technician)
            uow.record("technician.added", {"technician_id": technician.id,
                                            "name": technician.name, "by": by})
            uow.commit()
        return technician

    def check_pin(self, technician_id: str, pin: str, desk: dict[str, str] | None = None
                  ) -> PinResult:
        """Verify a PIN; the 5th failure locks the technician for 5 minutes, then 10, then 20;
        the 5th failure after that blocks them. From a desk (``desk``: its client address and
        user agent) the events are desk.* and name it; the counter is the same one."""
        now = self.clock.now()
        kind = "desk" if desk is not None else "staff"

        def where(payload: dict[str, Any]) -> dict[str, Any]:
            return {**payload, "desk": desk} if desk is not None else payload
        with self.uow_factory() as uow:
            tech = uow.technicians.get(technician_id)
            if tech is None or not tech.active:
                return PinResult(False)
            if tech.blocked_at:
                uow.record(f"{kind}.login_refused", where({"technician_id": tech.id,
                                                                 "reason": "blocked"}))
                uow.commit()
                return PinResult(False, tech, None, 0, blocked=True)
            if tech.locked_until and now < dt.datetime.fromisoformat(tech.locked_until):
                uow.record(f"{kind}.login_refused", where({"technician_id": tech.id,
                                                                 "reason": "locked"}))
                uow.commit()
                return PinResult(False, tech, tech.locked_until, 0)
            good = validation.PIN.match(pin or "") is not None and hmac.compare_digest(
                hash_pin(pin, bytes.fromhex(tech.pin_salt)), tech.pin_hash)
            if good:
                tech = replace(tech, failed_pins=0, locked_until=None, lockouts=0)
                uow.technicians.update(tech)
                uow.record(f"{kind}.login", where({"technician_id": tech.id}))
                uow.commit()
                return PinResult(True, tech)
            failures = tech.failed_pins + 1
            tripped = failures >= MAX_FAILURES
            blocked = _iso(now) if tripped and tech.lockouts >= MAX_LOCKOUTS else None
            locked = (_iso(now + LOCKOUT * 2 ** tech.lockouts) if tripped and not blocked
                      else None)
            tech = replace(tech, failed_pins=0 if tripped else failures, locked_until=locked,
                           lockouts=tech.lockouts + (1 if locked else 0), blocked_at=blocked)
            uow.technicians.update(tech)
            uow.record(f"{kind}.pin_failed", where({
                "technician_id": tech.id, "failures": failures, "locked_until": locked,
                "lockouts": tech.lockouts, "blocked": bool(blocked)}))
            uow.commit()
            return PinResult(False, tech, locked, max(0, MAX_FAILURES - failures),
                             blocked=bool(blocked))

    def set_pin(self, technician_id: str, pin: str, by: str = "console") -> None:
        """A new PIN (6 to 8 digits, new salt); the event carries no PIN material."""
        pin = validation.pin(pin)
        salt = secrets.token_bytes(16)
        with self.uow_factory() as uow:
            tech = uow.technicians.get(technician_id)
            if tech is None:
                raise UnknownTechnician(technician_id)
            uow.technicians.update(replace(tech, pin_hash=hash_pin(pin, salt), pin_salt=salt.hex(),
                                           pin_digits=len(pin)))
            uow.record("technician.pin_changed", {"technician_id": tech.id, "by": by})
            uow.commit()

    def unblock(self, technician_id: str, by: str = "console") -> bool:
        """Lift a block (and any lockout): by the console or another technician, never by
        the blocked technician; False if there was nothing to unblock."""
        if by == technician_id:
            raise SelfUnblock("a technician cannot unblock themselves")
        with self.uow_factory() as uow:
            tech = uow.technicians.get(technician_id)
            if tech is None or not (tech.blocked_at or tech.locked_until):
                return False
            uow.technicians.update(replace(tech, failed_pins=0, locked_until=None, lockouts=0,
                                           blocked_at=None))
            uow.record("technician.unblocked", {"technician_id": tech.id, "by": by})
            uow.commit()
        return True

    def deactivate(self, technician_id: str, reason: str, by: str = "console") -> None:
        with self.uow_factory() as uow:
            tech = uow.technicians.get(technician_id)
            if tech and tech.active:
                uow.technicians.update(replace(tech, active=False))
                uow.record("technician.deactivated", {"technician_id": technician_id,
                                                      "reason": reason, "by": by})
            uow.commit()

    def logout(self, technician_id: str, reason: str, desk: dict[str, str] | None = None) -> None:
        """A session ended; a desk session's event (desk.logout) names the desk."""
        payload = {"technician_id": technician_id, "reason": reason}
        with self.uow_factory() as uow:
            if desk is None:
                uow.record("staff.logout", payload)
            else:
                uow.record("desk.logout", {**payload, "desk": desk})
            uow.commit()

    def desk_refused(self, reason: str, desk: dict[str, str], technician_id: str = "",
                     count: int = 0) -> None:
        """A desk login refused before any PIN was checked (every desk session taken): a
        desk.login_refused event naming the desk; ``count``: a summary of that many refused
        posts without a card tap from one address (kiosk.station.desk_refusals)."""
        payload: dict[str, Any] = {"technician_id": technician_id, "reason": reason, "desk": desk}
        if count:
            payload["count"] = count
        with self.uow_factory() as uow:
            uow.record("desk.login_refused", payload)
            uow.commit()
