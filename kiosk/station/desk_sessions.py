"""The technician desk's sessions, its waiting login pages and what each desk page is told.

Like the kiosk's own session (kiosk.station.staff_desk) this lives in memory: a restart logs
every desk out, and the PIN lockout stays in the database. Unlike it, several desks may be
logged in at once (``max_sessions``, config desk.sessions); each session is bound to the
browser that opened it (its cookie and its user agent), ends after ``idle_seconds`` without
a request and after 12 hours in any case.

A login page waits for a technician card on the desk reader. The newest waiting page gets the
tap (a ticket and form token for its PIN form); every older waiting page is told it was not
chosen. Taps at the desk reach a session's pages as messages, which the pages long-poll.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from kiosk.domain.validation import N_
from kiosk.station.pin_tickets import PinTickets, token
from kiosk.station.staff_desk import ISSUE_SECONDS, IssueRequest, Session

MAX_SESSION_SECONDS = 12 * 3600
WAIT_SECONDS = 600  # a login page waits this long for a card, then asks to be reloaded
MAX_WAITING = 8  # waiting login pages kept; the oldest gives way
INBOX = 20  # messages kept per session for its pages


@dataclass
class DeskSession(Session):
    started: float = 0.0
    address: str = ""
    user_agent: str = ""
    inbox: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    @property
    def where(self) -> dict[str, str]:
        """What the session's events say about the desk."""
        return {"address": self.address, "user_agent": self.user_agent[:200]}


@dataclass
class LoginWait:
    """A login page waiting for a technician card."""

    address: str
    user_agent: str
    created: float
    id: str = field(default_factory=token)
    state: str = "waiting"  # "waiting" | "chosen" | "not_chosen"
    ticket: str = ""
    csrf: str = ""
    name: str = ""


class DeskSessions:
    def __init__(self, idle_seconds: int = 900, max_sessions: int = 3, clock=time.monotonic):
        self.idle_seconds, self.max_sessions, self.clock = idle_seconds, max_sessions, clock
        self._changed = threading.Condition()
        self._sessions: dict[str, DeskSession] = {}
        self._waits: list[LoginWait] = []
        self._tickets = PinTickets(lambda: self.clock())  # clock may be swapped by a test
        self._issue: IssueRequest | None = None
        self._requests: dict[str, IssueRequest] = {}
        self._seq = 0

    # -- waiting login pages --------------------------------------------------------
    def wait_login(self, address: str, user_agent: str) -> LoginWait:
        wait = LoginWait(address, user_agent, self.clock())
        with self._changed:
            self._waits = [w for w in self._waits if self.clock() - w.created < WAIT_SECONDS
                           ][-(MAX_WAITING - 1):]
            self._waits.append(wait)
        return wait

    def _waiting(self, wait: LoginWait) -> bool:
        return wait.state == "waiting" and self.clock() - wait.created < WAIT_SECONDS

    def login_waiting(self) -> bool:
        with self._changed:
            return any(self._waiting(w) for w in self._waits)

    def give_tap(self, technician_id: str, name: str) -> LoginWait | None:
        """A technician card on the desk reader: the newest waiting page gets its PIN form;
        the others are told they were not chosen."""
        with self._changed:
            waiting = [w for w in self._waits if self._waiting(w)]
            if not waiting:
                return None
            chosen = waiting[-1]
            for wait in waiting[:-1]:
                wait.state = "not_chosen"
            chosen.ticket, chosen.csrf = self._tickets.issue(technician_id, name)
            chosen.name, chosen.state = name, "chosen"
            self._changed.notify_all()
            return chosen

    def login_state(self, wait_id: str, timeout: float = 0.0) -> LoginWait | None:
        """The waiting page's state, after waiting up to ``timeout`` s for it to change."""
        deadline = self.clock() + timeout
        with self._changed:
            while True:
                wait = next((w for w in self._waits if w.id == wait_id), None)
                if wait is None or not self._waiting(wait) or self.clock() >= deadline:
                    return wait
                self._changed.wait(min(1.0, max(0.01, deadline - self.clock())))

    def ticket(self, ticket: str, csrf: str) -> tuple[str, str] | None:
        """(technician id, name) of a live ticket whose form token matches."""
        return self._tickets.check(ticket, csrf)

    def drop_ticket(self, ticket: str) -> None:
        self._tickets.drop(ticket)

    # -- sessions ----------------------------------------------------------------------
    def full(self) -> bool:
        self.expired()
        with self._changed:
            return len(self._sessions) >= self.max_sessions

    def open_session(self, technician_id: str, name: str, address: str,
                     user_agent: str) -> DeskSession | None:
        """A new desk session, or None when every one of ``max_sessions`` is taken."""
        now = self.clock()
        session = DeskSession(token(), technician_id, name, token(), now, now, address,
                              user_agent)
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
                user_agent: str | None = None) -> DeskSession | None:
        """The live session for this cookie, from the browser that opened it."""
        if not session_token:
            return None
        with self._changed:
            session = self._sessions.get(session_token)
            if session is None or not self._live(session):
                return None
            if user_agent is not None and not secrets.compare_digest(
                    session.user_agent.encode(), user_agent.encode()):
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
        request = self._issue
        if request is not None and request.session == session.token:
            self._issue = None
            if request.status == "waiting":
                request.status = "failed"
                request.message = N_("The technician session ended, so no card was issued")

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

    # -- card issuance at the desk ------------------------------------------------------
    def request_issue(self, role: str, holder_id: str, by: str, reason: str,
                      session_token: str) -> IssueRequest:
        request = IssueRequest(role, holder_id, by, reason, session_token)
        with self._changed:
            self._issue = request
            self._requests = {**{k: v for k, v in self._requests.items()
                                 if self.clock() - v.created < 3600}, request.id: request}
        return request

    def pending_issue(self) -> IssueRequest | None:
        with self._changed:
            request = self._issue
            if request and self.clock() - request.created > ISSUE_SECONDS:
                request.status, request.message = "failed", N_("No card was placed in time")
                self._issue = None
                return None
            if request and not self._alive(request):
                self._issue = None
                return None
            return request

    def _alive(self, request: IssueRequest) -> bool:
        session = self._sessions.get(request.session)
        return session is not None and self._live(session)

    def still_wanted(self, request: IssueRequest) -> bool:
        with self._changed:
            return self._issue is request and self._alive(request)

    def finish_issue(self, request: IssueRequest, status: str, message: str = "",
                     card_no: str = "") -> None:
        with self._changed:
            request.status, request.message, request.card_no = status, message, card_no
            if self._issue is request:
                self._issue = None
            self._changed.notify_all()

    def issue_request(self, request_id: str) -> IssueRequest | None:
        self.pending_issue()
        with self._changed:
            return self._requests.get(request_id)
