"""The technician desk's sessions and what each desk page is told.

Like the kiosk's own session (kiosk.station.staff_desk) this lives in memory: a restart logs
every desk out, and the PIN lockout stays in the database. Unlike it, several desks may be
logged in at once (``max_sessions``, config desk.sessions); each session answers only to the
browser that opened it: its cookie, its user agent and its LAN address (a copied cookie from
another address is refused; a desk whose address changes, a new DHCP lease, logs in again),
ends after ``idle_seconds`` without a request and after 12 hours in any case.

Its login pages are kiosk.station.desk_logins (``logins``), its cards waiting to be issued
kiosk.station.desk_issues (``issues``); both share this object's lock. Taps at the desk reach a
session's pages as messages, which the pages long-poll.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from kiosk.station.desk_issues import AT_KIOSK, DeskIssues
from kiosk.station.desk_logins import DeskLogins
from kiosk.station.desk_refusals import LoginRefusals
from kiosk.station.pin_tickets import PinTickets, token
from kiosk.station.staff_desk import IssueRequest, Session

MAX_SESSION_SECONDS = 12 * 3600
INBOX = 20  # messages kept per session for its pages


@dataclass
class DeskSession(Session):
    started: float = 0.0
    address: str = ""
    user_agent: str = ""
    reader: str = ""  # the desk reader her login tap was on ("": she confirmed at the kiosk)
    inbox: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    @property
    def where(self) -> dict[str, str]:
        """What the session's events say about the desk."""
        return {"address": self.address, "user_agent": self.user_agent[:200]}


class DeskSessions:
    def __init__(self, idle_seconds: int = 900, max_sessions: int = 3, clock=time.monotonic,
                 device_secret: bytes = b""):
        """``device_secret`` signs the desk cookie that names where she logged in before."""
        self.idle_seconds, self.max_sessions, self.clock = idle_seconds, max_sessions, clock
        self.device_secret = device_secret or secrets.token_bytes(32)
        self._changed = threading.Condition()
        self._sessions: dict[str, DeskSession] = {}
        self._tickets = PinTickets(lambda: self.clock())  # clock may be swapped by a test
        self.logins = DeskLogins(lambda: self.clock(), self._changed, self._tickets)
        self.issues = DeskIssues(lambda: self.clock(), self._changed, self._owner)
        self.refusals = LoginRefusals(lambda: self.clock())
        self.desk_readers: tuple[str, ...] = ()  # the desk readers connected now
        self._seq = 0

    def ticket(self, ticket: str, csrf: str) -> tuple[str, str] | None:
        """(technician id, name) of a live ticket whose form token matches."""
        return self._tickets.check(ticket, csrf)

    def drop_ticket(self, ticket: str) -> None:
        self._tickets.drop(ticket)

    def wrong_pin(self, ticket: str) -> bool:
        """A wrong PIN on this ticket: True while its page may try again."""
        if self._tickets.wrong_pin(ticket):
            return True
        self.logins.spent(ticket)
        return False

    # -- sessions ----------------------------------------------------------------------
    def full(self) -> bool:
        self.expired()
        with self._changed:
            return len(self._sessions) >= self.max_sessions

    def open_session(self, technician_id: str, name: str, address: str,
                     user_agent: str, reader: str = "") -> DeskSession | None:
        """A new desk session, or None when every one of ``max_sessions`` is taken."""
        now = self.clock()
        session = DeskSession(token(), technician_id, name, token(), now, now, address,
                              user_agent, reader)
        self.expired()
        with self._changed:
            if len(self._sessions) >= self.max_sessions:
                return None
            self._sessions[session.token] = session
        return session

    def _live(self, session: DeskSession) -> bool:
        now = self.clock()
        return (now - session.last_seen <= self.idle_seconds
                and now - session.started <= MAX_SESSION_SECONDS)

    def session(self, session_token: str | None, touch: bool = True,
                user_agent: str | None = None, address: str | None = None) -> DeskSession | None:
        """The live session for this cookie, from the browser (user agent) and the address
        that opened it."""
        if not session_token:
            return None
        with self._changed:
            session = self._sessions.get(session_token)
            if session is None or not self._live(session):
                return None
            if user_agent is not None and not secrets.compare_digest(
                    session.user_agent.encode(), user_agent.encode()):
                return None
            if address is not None and address != session.address:
                return None
            if touch:
                session.last_seen = self.clock()
            return session

    def end(self, session_token: str) -> DeskSession | None:
        with self._changed:
            session = self._sessions.pop(session_token, None)
            if session is not None:
                self._ended(session)
            return session

    def end_for(self, technician_id: str) -> list[DeskSession]:
        """Her own card on the desk reader: every desk session of hers ends."""
        with self._changed:
            ended = [s for s in self._sessions.values() if s.technician_id == technician_id]
            for session in ended:
                del self._sessions[session.token]
                self._ended(session)
            return ended

    def expired(self) -> list[DeskSession]:
        """Sessions idle too long or older than 12 h, ended here (the station logs them out)."""
        with self._changed:
            ended = [s for s in self._sessions.values() if not self._live(s)]
            for session in ended:
                del self._sessions[session.token]
                self._ended(session)
            return ended

    def _ended(self, session: DeskSession) -> None:
        """Caller holds the lock: its pages are told, its pending card is cancelled."""
        self._post(session, {"kind": "ended"})
        self.issues.ended(session.token)

    def _owner(self, session_token: str) -> str | None:
        """The technician of a live session (the issues' view of the sessions)."""
        with self._changed:
            session = self._sessions.get(session_token)
            return session.technician_id if session is not None and self._live(session) else None

    def current(self) -> DeskSession | None:
        """The desk the reader's taps go to: the most recently active live session."""
        with self._changed:
            live = [s for s in self._sessions.values() if self._live(s)]
            return max(live, key=lambda s: s.last_seen) if live else None

    def of(self, technician_id: str) -> list[DeskSession]:
        with self._changed:
            return [s for s in self._sessions.values()
                    if s.technician_id == technician_id and self._live(s)]

    # -- what a session's pages are told -----------------------------------------------
    def post(self, session: DeskSession, message: dict[str, Any]) -> None:
        with self._changed:
            self._post(session, message)

    def _post(self, session: DeskSession, message: dict[str, Any]) -> None:
        self._seq += 1
        session.inbox = [*session.inbox[-(INBOX - 1):], (self._seq, message)]
        self._changed.notify_all()

    def last_seq(self) -> int:
        with self._changed:
            return self._seq

    def messages(self, session: DeskSession, after: int, timeout: float
                 ) -> list[tuple[int, dict[str, Any]]]:
        """The session's messages after ``after``, waiting up to ``timeout`` s for one."""
        deadline = self.clock() + timeout
        with self._changed:
            while True:
                found = [(seq, m) for seq, m in session.inbox if seq > after]
                if found or self.clock() >= deadline:
                    return found
                self._changed.wait(min(1.0, max(0.01, deadline - self.clock())))

    # -- card issuance at the desk (kiosk.station.desk_issues) ---------------------------
    def request_issue(self, role: str, holder_id: str, by: str, reason: str,
                      session_token: str, label: str = "") -> IssueRequest:
        """A card for ``holder_id`` on this desk's reader; IssueRefused while one waits
        there. The reader: her login tap's desk reader, else the only desk reader, else the
        kiosk's (where it waits for her own card's tap)."""
        with self._changed:
            session = self._sessions.get(session_token)
            reader = session.reader if session is not None else ""
        if reader not in self.desk_readers:
            reader = self.desk_readers[0] if len(self.desk_readers) == 1 else AT_KIOSK
        return self.issues.request(role, holder_id, by, reason, session_token, reader, label)

    def still_wanted(self, request: IssueRequest) -> bool:
        return self.issues.still_wanted(request)

    def finish_issue(self, request: IssueRequest, status: str, message: str = "",
                     card_no: str = "") -> None:
        self.issues.finish(request, status, message, card_no)

    def issue_request(self, request_id: str) -> IssueRequest | None:
        return self.issues.get(request_id)
