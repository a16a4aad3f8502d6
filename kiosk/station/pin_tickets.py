"""The short-lived ticket a technician card's tap gives the PIN form that follows it.

A tap makes a ticket and a form token; the PIN form posts both back. A ticket lives
``TICKET_SECONDS``, answers only with its own form token, and is dropped once used. The
kiosk's own screen (kiosk.station.staff_desk) and the technician desk
(kiosk.station.desk_sessions) log in the same way, so they share this one store. It lives in
memory: a restart drops every ticket, and the PIN lockout stays in the database.

A ticket may carry a number of PIN guesses (the desk's: 1 on a page she did not choose
herself, 3 on her own; kiosk.station.desk_logins); a wrong PIN spends one, and the last one
ends the ticket. The kiosk screen's tickets carry none: there the lockout alone counts.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

TICKET_SECONDS = 60


def token() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class _Ticket:
    technician_id: str
    name: str
    csrf: str
    issued: float
    guesses: int = 0  # wrong PINs this ticket may take; 0: no limit of its own


class PinTickets:
    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._lock = threading.Lock()
        self._tickets: dict[str, _Ticket] = {}

    def issue(self, technician_id: str, name: str, guesses: int = 0) -> tuple[str, str]:
        """A technician card was tapped: (ticket, form token) for her PIN form. Expired
        tickets are forgotten here, so the store never grows."""
        ticket, csrf = token(), token()
        now = self.clock()
        with self._lock:
            self._tickets = {t: v for t, v in self._tickets.items()
                             if now - v.issued < TICKET_SECONDS}
            self._tickets[ticket] = _Ticket(technician_id, name, csrf, now, guesses)
        return ticket, csrf

    def wrong_pin(self, ticket: str) -> bool:
        """A wrong PIN was typed on this ticket's form: True while it may take another
        (a ticket without guesses of its own always may; the lockout counts for it)."""
        with self._lock:
            found = self._tickets.get(ticket)
            if found is None:
                return False
            if not found.guesses:
                return True
            if found.guesses <= 1:
                del self._tickets[ticket]
                return False
            self._tickets[ticket] = replace(found, guesses=found.guesses - 1)
            return True

    def check(self, ticket: str, csrf: str) -> tuple[str, str] | None:
        """(technician id, name) of a live ticket whose form token matches."""
        with self._lock:
            found = self._tickets.get(ticket)
        if not found or self.clock() - found.issued > TICKET_SECONDS:
            return None
        if not secrets.compare_digest(found.csrf, csrf or ""):
            return None
        return found.technician_id, found.name

    def live(self, ticket: str) -> bool:
        """True while ``ticket`` may still be used (not used, dropped, cleared or expired)."""
        with self._lock:
            found = self._tickets.get(ticket)
        return found is not None and self.clock() - found.issued <= TICKET_SECONDS

    def drop(self, ticket: str) -> None:
        with self._lock:
            self._tickets.pop(ticket, None)

    def clear(self) -> None:
        with self._lock:
            self._tickets.clear()
