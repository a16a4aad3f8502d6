"""The station's main loop: reader events in, check-ins, signals and receipts out.

Taps are handled strictly one after another on this loop's thread. Their units of work go
through the station's one database writer (kiosk.store.writer.Writer), which the staff pages,
the print spooler and the sync thread share, one unit of work at a time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from kiosk.domain.card_auth import Personalised
from kiosk.domain.card_desk import CardDesk
from kiosk.domain.checkin import CheckInService
from kiosk.domain.model import ReadCard
from kiosk.domain.outcomes import (
    CardIssued,
    CardRefused,
    CheckedIn,
    IssueFailed,
    ReadFailed,
    TapOutcome,
    TechnicianCard,
    UnknownCard,
    VisitorCard,
)
from kiosk.domain.staff import StaffService
from kiosk.domain.validation import N_, Invalid
from kiosk.errors import CardIOError, StoreUnavailable
from kiosk.ports import CardReader, CardReadFailed, CardTapped, ReaderEvent, ReaderState, ReaderStatus, Signal, Signals
from kiosk.station.staff_desk import IssueCancelled, IssueRequest, StaffDesk

if TYPE_CHECKING:
    from kiosk.station.desk_sessions import DeskSessions
    from kiosk.station.desk_taps import DeskTaps
    from kiosk.station.visitors import VisitorDesk

log = logging.getLogger(__name__)
STALL_SECONDS = 10.0


class Spooler(Protocol):
    def notify(self) -> None: ...


@dataclass(frozen=True)
class TapReport:
    """One processed tap: its outcome and how long the station took."""

    outcome: TapOutcome | None
    reader: str
    detect_to_commit_ms: float = 0.0
    read_ms: float = 0.0
    error: str = ""
    detected_epoch_ms: float = 0.0  # wall clock when the reader reported the card
    login: tuple[str, str] | None = None  # (ticket, csrf) of the PIN form, technician cards
    at_desk: bool = False  # a tap on the desk reader: never shown on the public screen
    issue_for: str = ""  # her card at the kiosk started her desk's card issuance: whose (masked)


class Station:
    def __init__(self, checkins: CheckInService, reader: CardReader, spooler: Spooler | None,
                 signals: Signals,
                 on_report: Callable[[TapReport], None] | None = None,
                 on_status: Callable[[ReaderStatus], None] | None = None,
                 staff: StaffDesk | None = None, cards: CardDesk | None = None,
                 staff_service: StaffService | None = None, desk: DeskTaps | None = None,
                 on_desk: Callable[[TapReport], None] | None = None,
                 visitors: VisitorDesk | None = None):
        """``desk`` routes the desk reader's taps (kiosk.station.desk_taps); their reports go
        to ``on_desk`` (the console), never to ``on_report`` (the public screen)."""
        self.checkins, self.reader, self.desk = checkins, reader, desk
        self.visitors = visitors  # looks up a visitor at the county (kiosk.station.visitors)
        self.on_desk = on_desk or (lambda report: None)
        self.staff, self.cards, self.staff_service = staff, cards, staff_service
        self.spooler, self.signals = spooler, signals
        self.on_report = on_report or (lambda report: None)
        self.on_status = on_status or (lambda status: None)
        self.heartbeat = time.monotonic()
        self._stalled = False

    def handle(self, event: ReaderEvent) -> TapReport | None:
        if isinstance(event, ReaderStatus):
            self.signals.show(Signal.READY if event.state == ReaderState.READY else Signal.READER_DOWN)
            if self.desk:
                self.desk.readers_seen(event.readers)
            self.on_status(event)
            return None
        desk = self.desk
        if isinstance(event, CardReadFailed):
            log.info("card read failed on %s: %s %s", event.reader, event.reason, event.detail)
            self.signals.show(Signal.ERROR)
            report = TapReport(ReadFailed(event.reason, event.detail), event.reader)
            if desk and desk.is_desk_reader(event.reader):
                desk.failed(event)
                report = replace(report, at_desk=True)
        elif desk and desk.is_desk_reader(event.reader):
            desk_issue = desk.sessions.issues.for_reader(event.reader)
            report = replace(self._issue(event, desk_issue, desk.sessions)
                             if desk_issue and not self._already_issued(event)
                             else self._at_desk(desk, event), at_desk=True)
        elif self.staff and (request := self.staff.pending_issue()):
            report = self._issue(event, request)
        elif (desk and (desk_issue := desk.sessions.issues.at_kiosk())
              and not self._already_issued(event)):  # she tapped her card here first
            report = self._issue(event, desk_issue, desk.sessions)
        else:
            if self.staff:
                self.staff.forget_record_links()
            report = self._route(self._check_in(event))
        (self.on_desk if report.at_desk else self.on_report)(report)
        return report

    def _at_desk(self, desk: DeskTaps, tap: CardTapped) -> TapReport:
        outcome, elapsed_ms = desk.tap(tap)
        self.signals.show(Signal.ERROR if outcome is None or isinstance(outcome, CardRefused)
                          else Signal.SUCCESS)
        return TapReport(outcome, tap.reader, elapsed_ms, tap.read_ns / 1e6,
                         detected_epoch_ms=time.time() * 1000 - elapsed_ms)

    def _route(self, report: TapReport) -> TapReport:
        """A technician card opens the PIN form; any other card ends a technician session,
        so a resident never sees a technician page."""
        if self.staff is None:
            return report
        outcome = report.outcome
        ended = self.staff.end_session()
        if ended and self.staff_service:
            reason = "technician_card" if isinstance(outcome, TechnicianCard) else "card_tap"
            self.staff_service.logout(ended.technician_id, reason)
        if isinstance(outcome, TechnicianCard):
            if self.desk and (whose := self.desk.arm_at_kiosk(outcome)) is not None:
                return replace(report, issue_for=whose)
            return replace(report, login=self.staff.new_ticket(outcome.technician_id,
                                                               outcome.name))
        return report

    def _already_issued(self, tap: CardTapped) -> bool:
        """A card that is someone's already: a desk's waiting issuance never takes it (her
        tap is a check-in, or her record at the desk, as usual)."""
        assert self.cards is not None  # a desk's issuance needs the card desk
        return self.cards.issued_to_someone(ReadCard(tap.uid, tap.kind, tap.record, tap.proof))

    def _issue(self, tap: CardTapped, request: IssueRequest,
               desk: DeskSessions | None = None) -> TapReport:
        """Write a signed record onto the card on the reader, read it back, then store it;
        ``desk``: the request came from a desk session (else the kiosk's)."""
        staff: StaffDesk | DeskSessions | None = desk or self.staff
        assert self.cards is not None and staff is not None  # issuance needs both
        card = ReadCard(tap.uid, tap.kind, tap.record, tap.proof)

        def write(framed: bytes) -> bytes | None:
            # The session that asked may have ended while the record was being signed.
            if not staff.still_wanted(request):
                raise IssueCancelled(request.id)
            return self.reader.write_record(tap.reader, tap.uid, tap.kind, framed)

        def personalise() -> Personalised:
            return self.reader.personalise(tap.reader, tap.uid, tap.kind)

        try:
            issued = self.cards.issue(request.role, request.holder_id, card, write,
                                      request.by, request.reason, personalise)
        except IssueCancelled:
            log.warning("card issuance cancelled: the technician session ended")
            message = N_("The technician session ended, so no card was issued")
            staff.finish_issue(request, "failed", message)
            outcome: TapOutcome = IssueFailed(message)
        except Invalid as exc:
            staff.finish_issue(request, "failed", exc.message)
            outcome = IssueFailed(exc.message)
        except (CardIOError, OSError) as exc:
            log.warning("card issuance failed: %s", exc)
            message = N_("The card could not be written. Hold it still on the reader and try again")
            staff.finish_issue(request, "failed", message)
            outcome = IssueFailed(message)
        else:
            log.info("card %s issued (%s, %s)", issued.card_no, issued.role, issued.kind)
            staff.finish_issue(request, "done", card_no=issued.card_no)
            outcome = CardIssued(issued.card_no, issued.role, issued.holder_id)
        self.signals.show(Signal.SUCCESS if isinstance(outcome, CardIssued) else Signal.ERROR)
        return TapReport(outcome, tap.reader)

    def _end_idle_session(self) -> None:
        if self.desk:
            self.desk.end_expired()
        if self.staff and (session := self.staff.idle_session()) and self.staff_service:
            log.info("technician %s logged out after idling", session.technician_id)
            self.staff_service.logout(session.technician_id, "idle")

    def _check_in(self, tap: CardTapped) -> TapReport:
        card = ReadCard(tap.uid, tap.kind, tap.record, tap.proof)
        for attempt in (1, 2, 3):
            try:
                outcome = self.checkins.handle_tap(card)
                if isinstance(outcome, VisitorCard) and self.visitors:  # another station's
                    outcome = self.visitors.check_in(outcome, card)    # resident: looked up
                elif isinstance(outcome, VisitorCard):
                    outcome = self.checkins.handle_tap(card, refresh=False)
                    if isinstance(outcome, VisitorCard):
                        outcome = self.checkins.check_in_visitor(
                            outcome, self.checkins.visitor_tapped(outcome))
                if isinstance(outcome, CheckedIn) and self.cards and self.cards.unverified(card):
                    outcome = replace(outcome, verified=False)  # another township's, unchecked
                break
            except StoreUnavailable as exc:  # busy or disk trouble: retry, then say so
                log.warning("check-in write failed (attempt %d): %s", attempt, exc)
                time.sleep(0.05 * attempt)
        else:
            self.signals.show(Signal.ERROR)
            return TapReport(None, tap.reader, error="storage unavailable; ask staff")
        elapsed_ms = (time.monotonic_ns() - tap.detected_ns) / 1e6
        detected_epoch_ms = time.time() * 1000 - elapsed_ms
        if isinstance(outcome, CheckedIn):
            self.signals.show(Signal.SUCCESS)
            log.info("check-in %s queue %d%s (%.1f ms)", outcome.checkin_id, outcome.queue_no,
                     " (repeat tap)" if outcome.repeat else "", elapsed_ms)
            if not outcome.repeat and self.spooler:
                self.spooler.notify()  # the receipt job was queued with the check-in
        elif isinstance(outcome, UnknownCard):
            self.signals.show(Signal.UNKNOWN_CARD)
            log.info("unknown card %s (event %d)", outcome.uid_fingerprint, outcome.event_seq)
        elif isinstance(outcome, CardRefused):
            self.signals.show(Signal.ERROR)
            log.warning("card refused: %s (event %d)", outcome.reason, outcome.event_seq)
        return TapReport(outcome, tap.reader, elapsed_ms, tap.read_ns / 1e6,
                         detected_epoch_ms=detected_epoch_ms)

    def _watch_reader(self) -> None:
        """Restart a dead reader loop; say so once when a live one stops beating."""
        self.reader.ensure_running()
        health = self.reader.health()
        stalled = health.heartbeat_age_s > STALL_SECONDS
        if stalled and not self._stalled:
            log.error("card reader loop has not beaten for %.0f s (stuck in pcscd?)",
                      health.heartbeat_age_s)
        self._stalled = stalled

    def run(self, stop: threading.Event, on_heartbeat: Callable[[], None] | None = None) -> None:
        """Process reader events until ``stop`` is set."""
        self.reader.start()
        log.info("station loop running")
        try:
            while not stop.is_set():
                event = self.reader.next_event(timeout=0.5)
                self.heartbeat = time.monotonic()
                self._watch_reader()
                self._end_idle_session()
                if on_heartbeat:
                    on_heartbeat()
                if event is not None:
                    self.handle(event)
        finally:
            self.reader.stop()
            self.signals.close()
            if self.desk:  # the refused desk logins counted so far become their summaries
                self.desk.end_expired(everything=True)
