"""What the station loop and the technician pages share in memory: login tickets,
technician sessions, the card waiting to be issued, and her short-lived
"my record" links.

Nothing here needs to survive a restart: a restart logs everyone out (the PIN
lockout itself is in the database). One technician session at a time: the
kiosk has one screen.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from kiosk.domain.validation import N_
from kiosk.errors import KioskError
from kiosk.station.pin_tickets import PinTickets, token

ISSUE_SECONDS = 60
RECORD_LINK_SECONDS = 180


class IssueCancelled(KioskError, RuntimeError):
    """The technician session that asked for a card ended before the card was written."""


@dataclass
class Session:
    token: str
    technician_id: str
    name: str
    csrf: str
    last_seen: float


@dataclass
class IssueRequest:
    """A card waiting to be issued; it belongs to the technician session that asked for it
    (``session``, that session's token) and ends with it."""

    role: str
    holder_id: str
    by: str
    reason: str
    session: str = ""
    created: float = field(default_factory=time.monotonic)
    id: str = field(default_factory=token)
    status: str = "waiting"  # "waiting" | "done" | "failed"
    message: str = ""
    card_no: str = ""
    reader: str = ""  # a desk's request: the reader it waits on (kiosk.station.desk_issues)
    label: str = ""  # a desk's request: whose card, masked, for the kiosk screen
    armed: float = 0.0  # a desk's request at the kiosk: when she tapped her card there


class StaffDesk:
    def __init__(self, idle_seconds: int = 120, clock=time.monotonic):
        self.idle_seconds, self.clock = idle_seconds, clock
        self._lock = threading.Lock()
        self._tickets = PinTickets(lambda: self.clock())  # clock may be swapped by a test
        self._session: Session | None = None
        self._issue: IssueRequest | None = None
        self._requests: dict[str, IssueRequest] = {}
        self._record_links: dict[str, tuple[str, str, float]] = {}

    # -- login ------------------------------------------------------------------
    def new_ticket(self, technician_id: str, name: str) -> tuple[str, str]:
        """A technician card was tapped: (ticket, csrf) for the PIN form on the screen."""
        return self._tickets.issue(technician_id, name)

    def ticket(self, ticket: str, csrf: str) -> tuple[str, str] | None:
        """(technician id, name) of a live ticket whose form token matches."""
        return self._tickets.check(ticket, csrf)

    def drop_ticket(self, ticket: str) -> None:
        self._tickets.drop(ticket)

    def ticket_live(self, ticket: str) -> bool:
        """The PIN form of this ticket may still be shown (no login or logout used it up)."""
        return self._tickets.live(ticket)

    def open_session(self, technician_id: str, name: str) -> Session:
        session = Session(token(), technician_id, name, token(), self.clock())
        with self._lock:
            self._session = session
            self._tickets.clear()
            self._cancel_issue()
        return session

    def session(self, session_token: str | None, touch: bool = True) -> Session | None:
        """The live session for this cookie; an idle one is ended here."""
        with self._lock:
            session = self._session
            if session is None or not session_token or not secrets.compare_digest(
                    session.token, session_token):
                return None
            if self.clock() - session.last_seen > self.idle_seconds:
                self._session = None
                self._cancel_issue()
                return None
            if touch:
                session.last_seen = self.clock()
            return session

    def end_session(self) -> Session | None:
        with self._lock:
            session, self._session = self._session, None
            self._tickets.clear()
            self._cancel_issue()
            return session

    def idle_session(self) -> Session | None:
        """The session if it has been idle too long (the station logs it out)."""
        with self._lock:
            session = self._session
            if session and self.clock() - session.last_seen > self.idle_seconds:
                self._session = None
                self._cancel_issue()
                return session
        return None

    @property
    def active(self) -> bool:
        return self._session is not None

    # -- card issuance ------------------------------------------------------------
    def request_issue(self, role: str, holder_id: str, by: str, reason: str,
                      session_token: str) -> IssueRequest:
        """Wait for a card for ``holder_id``, on behalf of the session ``session_token``."""
        request = IssueRequest(role, holder_id, by, reason, session_token)
        with self._lock:
            self._issue = request
            self._requests[request.id] = request
        return request

    def pending_issue(self) -> IssueRequest | None:
        """The card waiting to be issued, if its session is still the live one."""
        with self._lock:
            request = self._issue
            if request and self.clock() - request.created > ISSUE_SECONDS:
                request.status, request.message = "failed", N_("No card was placed in time")
                self._issue = None
                return None
            if request and not self._session_alive(request):
                self._cancel_issue()
                return None
            return request

    def still_wanted(self, request: IssueRequest) -> bool:
        """Checked just before the card is written: the request is the pending one and the
        session that asked for it is alive (not ended, replaced or idle)."""
        with self._lock:
            return self._issue is request and self._session_alive(request)

    def _session_alive(self, request: IssueRequest) -> bool:
        session = self._session
        return (session is not None and bool(request.session)
                and secrets.compare_digest(session.token, request.session)
                and self.clock() - session.last_seen <= self.idle_seconds)

    def _cancel_issue(self) -> None:
        """The session that asked for a card ended (caller holds the lock)."""
        request, self._issue = self._issue, None
        if request is not None and request.status == "waiting":
            request.status = "failed"
            request.message = N_("The technician session ended, so no card was issued")

    def finish_issue(self, request: IssueRequest, status: str, message: str = "",
                     card_no: str = "") -> None:
        with self._lock:
            request.status, request.message, request.card_no = status, message, card_no
            if self._issue is request:
                self._issue = None

    def issue_request(self, request_id: str) -> IssueRequest | None:
        self.pending_issue()  # times out a stale one
        with self._lock:
            return self._requests.get(request_id)

    # -- her own record ------------------------------------------------------------
    def record_link(self, resident_id: str, checkin_id: str) -> str:
        """A short-lived link to her record, the same for every page showing this tap."""
        with self._lock:
            for link, (_rid, cid, at) in self._record_links.items():
                if cid == checkin_id and self.clock() - at < RECORD_LINK_SECONDS:
                    return link
            link = token()
            self._record_links = {link: (resident_id, checkin_id, self.clock())}
            return link

    def record_for(self, link: str) -> tuple[str, str] | None:
        with self._lock:
            found = self._record_links.get(link)
        if not found or self.clock() - found[2] > RECORD_LINK_SECONDS:
            return None
        return found[0], found[1]

    def forget_record_links(self) -> None:
        """Another card was tapped: the previous resident's link stops working."""
        with self._lock:
            self._record_links.clear()
