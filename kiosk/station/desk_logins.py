"""The desk's waiting login pages, and which of them a technician card's tap goes to.

Anyone on the LAN can open the login page, so a tap must go to the page she is at, never to
whichever page asked last (docs/security.md, finding N1). Each waiting page shows a short
code. A tap reaches a page in one of three ways:

- her code, typed on the kiosk screen after she tapped her card there (the kiosk's own page
  offers it while desk pages wait): that page is hers, 3 PIN guesses;
- a tap on the desk reader, to the newest page of a browser where she logged in before (its
  desk cookie names her, signed with a station secret), when all such pages come from one
  address: hers, 3 guesses;
- a tap on the desk reader while login pages wait at one address only (the newest of them;
  a reload leaves its old page waiting) and none is hers: 1 guess, so a stranger's page that
  happens to be alone gets a single try at her PIN.

Otherwise the tap goes nowhere (her own page says: tap at the kiosk and type the code). A page
never sees her name before her PIN is right. Pages are few per address (``PER_ADDRESS``) and
in all (``MAX_WAITING``), and wait ``WAIT_SECONDS`` at most.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.station.pin_tickets import PinTickets, token

WAIT_SECONDS = 180
PER_ADDRESS = 2  # waiting pages per address; its oldest gives way to a new one
MAX_WAITING = 32  # waiting pages in all; a new page beyond them is refused
OWN_GUESSES, OTHER_GUESSES = 3, 1
CODE_DIGITS = 4
CODE = re.compile(f"[0-9]{{{CODE_DIGITS}}}")
DEVICE_COOKIE = "kiosk_desk_device"
DEVICE_DAYS = 180


@dataclass
class LoginWait:
    """A login page waiting for a technician card."""

    address: str
    user_agent: str
    created: float
    code: str
    device: str = ""  # the technician its browser's desk cookie names ("": none)
    id: str = field(default_factory=token)
    state: str = "waiting"  # "waiting" | "chosen" | "spent" (its ticket ran out of guesses)
    ticket: str = ""
    csrf: str = ""
    reader: str = ""  # the reader her card was tapped on ("": the kiosk's)
    own: bool = False  # she chose it: her code, or her own browser


def device_cookie(secret: bytes, technician_id: str) -> str:
    """The desk cookie of a browser where ``technician_id`` logged in with card and PIN."""
    mac = hmac.new(secret, technician_id.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{technician_id}.{mac}"


def device_owner(secret: bytes, cookie: str | None) -> str:
    """The technician a desk cookie names, if the station signed it ("" otherwise)."""
    technician_id, _, _mac = (cookie or "").rpartition(".")
    if technician_id and secrets.compare_digest(
            device_cookie(secret, technician_id).encode(), (cookie or "").encode()):
        return technician_id
    return ""


def _new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


class DeskLogins:
    def __init__(self, clock: Callable[[], float], changed: threading.Condition,
                 tickets: PinTickets):
        self.clock, self._changed, self._tickets = clock, changed, tickets
        self._waits: list[LoginWait] = []

    def _live(self, wait: LoginWait) -> bool:
        return wait.state == "waiting" and self.clock() - wait.created < WAIT_SECONDS

    def open(self, address: str, user_agent: str, device: str = "") -> LoginWait | None:
        """A login page opened: its wait with a fresh code, or None when ``MAX_WAITING``
        pages wait already (a page of a browser she logged in from still gets in)."""
        with self._changed:
            now = self.clock()
            self._waits = [w for w in self._waits if now - w.created < WAIT_SECONDS
                           and w.state != "spent"]
            mine = [w for w in self._waits if w.address == address and self._live(w)]
            for old in mine[:len(mine) - PER_ADDRESS + 1]:
                self._waits.remove(old)
            live = [w for w in self._waits if self._live(w)]
            if len(live) >= MAX_WAITING:
                strangers = [w for w in live if not w.device]
                if not device or not strangers:
                    return None
                self._waits.remove(strangers[0])
            used = {w.code for w in self._waits}
            code = _new_code()
            while code in used:
                code = _new_code()
            wait = LoginWait(address, user_agent, now, code, device)
            self._waits.append(wait)
            return wait

    def waiting(self) -> bool:
        with self._changed:
            return any(self._live(w) for w in self._waits)

    def state(self, wait_id: str, timeout: float = 0.0) -> LoginWait | None:
        """The page's wait, after waiting up to ``timeout`` s for it to change; None once it
        expired or gave way."""
        deadline = self.clock() + timeout
        with self._changed:
            while True:
                wait = next((w for w in self._waits if w.id == wait_id), None)
                if wait is None or (wait.state == "waiting" and not self._live(wait)):
                    return None
                if wait.state != "waiting" or self.clock() >= deadline:
                    return wait
                self._changed.wait(min(1.0, max(0.01, deadline - self.clock())))

    def tap(self, technician_id: str, name: str, reader: str,
            own_only: bool = False) -> LoginWait | None:
        """Her card on a desk reader: the page it goes to (see the module's rules), if any;
        ``own_only``: only a page of her own browser (the tap also logged her out elsewhere)."""
        with self._changed:
            live = [w for w in self._waits if self._live(w)]
            hers = [w for w in live if w.device == technician_id]
            if hers and len({w.address for w in hers}) == 1:
                return self._choose(hers[-1], technician_id, name, reader, own=True)
            if len({w.address for w in live}) == 1 and not hers and not own_only:
                return self._choose(live[-1], technician_id, name, reader, own=False)
            return None

    def confirm(self, code: str, technician_id: str, name: str) -> LoginWait | None:
        """The code she typed on the kiosk screen after tapping her card there: that page."""
        if not CODE.fullmatch(code):
            return None
        with self._changed:
            found = next((w for w in self._waits if self._live(w)
                          and secrets.compare_digest(w.code, code)), None)
            if found is None:
                return None
            return self._choose(found, technician_id, name, "", own=True)

    def _choose(self, wait: LoginWait, technician_id: str, name: str, reader: str,
                own: bool) -> LoginWait:
        """Caller holds the lock: the page gets a ticket for its PIN form (never her name)."""
        wait.ticket, wait.csrf = self._tickets.issue(
            technician_id, name, OWN_GUESSES if own else OTHER_GUESSES)
        wait.state, wait.reader, wait.own = "chosen", reader, own
        self._changed.notify_all()
        return wait

    def of_ticket(self, ticket: str) -> LoginWait | None:
        with self._changed:
            return next((w for w in self._waits if w.ticket and w.ticket == ticket), None)

    def spent(self, ticket: str) -> None:
        """Its ticket took its last wrong PIN: the page must wait for a new tap."""
        with self._changed:
            for wait in self._waits:
                if wait.ticket == ticket:
                    wait.state = "spent"
            self._changed.notify_all()
