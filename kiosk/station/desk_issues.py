"""Cards issued from a desk: at most one waiting card per desk session, each on one reader.

Two desks once shared one waiting card, so desk two's request silently replaced desk one's and
the blank card desk one held became desk two's resident's (docs/security.md, finding N8). And
on a station with one reader, a desk's request took over the kiosk's reader for a minute, so a
resident's own tap failed and a stranger's blank card became someone's (finding N9). Now:

- a request belongs to the desk session that made it and is bound to one reader: the desk
  reader she tapped to log in, else the station's only desk reader, else the kiosk's reader
  (``AT_KIOSK``);
- while a card waits on a reader, another request for that reader (from any desk, hers
  included) is refused with a message, never swapped in;
- at the kiosk's reader a request only waits (``KIOSK_WAIT_SECONDS``) until she taps her own
  technician card there: the public screen then says whose card it will be (a masked name),
  and only from then, for ``ISSUE_SECONDS``, is the next blank card hers. A card that is
  already someone's still checks in (kiosk.station.loop).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from kiosk.domain.validation import N_
from kiosk.errors import KioskError
from kiosk.station.staff_desk import ISSUE_SECONDS, IssueRequest

AT_KIOSK = "kiosk"  # the reader of a request that waits for her at the kiosk
KIOSK_WAIT_SECONDS = 300  # time to walk to the kiosk and tap her card there
KEEP_SECONDS = 3600  # finished requests answer their status page this long


class IssueRefused(KioskError, RuntimeError):
    """A card already waits on that reader (or for that desk): the new request is refused."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class DeskIssues:
    def __init__(self, clock: Callable[[], float], changed: threading.Condition,
                 session_owner: Callable[[str], str | None]):
        """``session_owner``: the technician of a live desk session (by its token), else None."""
        self.clock, self._changed, self._owner = clock, changed, session_owner
        self._waiting: dict[str, IssueRequest] = {}  # by desk session token
        self._all: dict[str, IssueRequest] = {}

    def request(self, role: str, holder_id: str, by: str, reason: str, session_token: str,
                reader: str, label: str = "") -> IssueRequest:
        """A desk asks for a card on ``reader``; IssueRefused while one waits there already."""
        with self._changed:
            self._expire()
            if session_token in self._waiting:
                raise IssueRefused(N_("A card is already waiting to be issued from this desk: "
                                      "finish or cancel it first"))
            if any(r.reader == reader for r in self._waiting.values()):
                raise IssueRefused(N_("Another desk is waiting for a card on this reader: "
                                      "try again when it is done"))
            now = self.clock()
            request = IssueRequest(role, holder_id, by, reason, session_token, created=now,
                                   reader=reader, label=label)
            self._waiting[session_token] = request
            self._all = {**{k: v for k, v in self._all.items() if now - v.created < KEEP_SECONDS},
                         request.id: request}
            return request

    def _expire(self) -> None:
        """Caller holds the lock: requests past their time, or whose session ended, fail."""
        now = self.clock()
        for token, request in list(self._waiting.items()):
            message = ""
            if self._owner(token) is None:
                message = N_("The technician session ended, so no card was issued")
            elif request.reader == AT_KIOSK and not request.armed:
                if now - request.created > KIOSK_WAIT_SECONDS:
                    message = N_("Nobody tapped her technician card at the kiosk in time")
            elif now - (request.armed or request.created) > ISSUE_SECONDS:
                message = N_("No card was placed in time")
            if message:
                del self._waiting[token]
                request.status, request.message = "failed", message
                self._changed.notify_all()

    def for_reader(self, reader: str) -> IssueRequest | None:
        """The card waiting on this desk reader, if any."""
        with self._changed:
            self._expire()
            return next((r for r in self._waiting.values() if r.reader == reader), None)

    def at_kiosk(self) -> IssueRequest | None:
        """The card the kiosk's reader waits for: only once she tapped her card there."""
        with self._changed:
            self._expire()
            return next((r for r in self._waiting.values()
                         if r.reader == AT_KIOSK and r.armed), None)

    def arm(self, technician_id: str) -> IssueRequest | None:
        """Her technician card on the kiosk reader: her desk's card waiting for the kiosk
        starts waiting for the blank card now."""
        with self._changed:
            self._expire()
            for token, request in self._waiting.items():
                if request.reader == AT_KIOSK and self._owner(token) == technician_id:
                    request.armed = self.clock()
                    return request
            return None

    def still_wanted(self, request: IssueRequest) -> bool:
        with self._changed:
            self._expire()
            return self._waiting.get(request.session) is request

    def finish(self, request: IssueRequest, status: str, message: str = "",
               card_no: str = "") -> None:
        with self._changed:
            request.status, request.message, request.card_no = status, message, card_no
            if self._waiting.get(request.session) is request:
                del self._waiting[request.session]
            self._changed.notify_all()

    def cancel(self, request_id: str, session_token: str) -> bool:
        """Her desk cancels its own waiting card."""
        with self._changed:
            request = self._waiting.get(session_token)
            if request is None or request.id != request_id:
                return False
            self.finish(request, "failed", N_("Cancelled at the desk"))
            return True

    def ended(self, session_token: str) -> None:
        """Caller holds the lock: the session ended, so its waiting card is cancelled."""
        request = self._waiting.pop(session_token, None)
        if request is not None and request.status == "waiting":
            request.status = "failed"
            request.message = N_("The technician session ended, so no card was issued")

    def get(self, request_id: str) -> IssueRequest | None:
        with self._changed:
            self._expire()
            return self._all.get(request_id)
