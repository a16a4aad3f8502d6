"""Taps on the technician's desk reader: never a check-in, never on the public screen.

While she is logged in at a desk, a resident's card opens that resident's record on her page
(the page loads it, which records ``record.viewed`` as every record view does), her own
technician card logs her out, and another technician's card is only named as not hers. A
technician's tap goes to a waiting login page only by the rules of kiosk.station.desk_logins.
A card waiting to be issued on this reader is written by the station loop
(``Station._issue``) before any of this.

At the kiosk's reader a technician card never goes to a desk page by itself: the kiosk screen
shows its own PIN form, where she may instead type the code of her desk page; and it starts a
card her desk left waiting for the kiosk (kiosk.station.desk_issues, ``arm_at_kiosk``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from kiosk.domain.checkin import CheckInService
from kiosk.domain.model import ReadCard
from kiosk.domain.outcomes import (
    CardRefused,
    ReadFailed,
    ResidentAtDesk,
    TapOutcome,
    TechnicianCard,
    UnknownCard,
    VisitorCard,
)
from kiosk.domain.staff import StaffService
from kiosk.domain.validation import N_
from kiosk.errors import StoreUnavailable
from kiosk.ports import CardReadFailed, CardTapped
from kiosk.station.desk_sessions import DeskSession, DeskSessions

log = logging.getLogger(__name__)


class DeskTaps:
    def __init__(self, sessions: DeskSessions, checkins: CheckInService, staff: StaffService,
                 role_of: Callable[[str], str]):
        self.sessions, self.checkins, self.staff, self.role_of = sessions, checkins, staff, role_of
        self.reader_present = False  # a reader of role desk is connected

    def is_desk_reader(self, reader: str) -> bool:
        return self.role_of(reader) == "desk"

    def readers_seen(self, readers: tuple[str, ...]) -> None:
        desk_readers = tuple(r for r in readers if self.is_desk_reader(r))
        present = bool(desk_readers)
        if present != self.reader_present:
            log.info("desk reader %s", "connected" if present else "gone: desk logins and desk "
                     "card issuance go through the kiosk screen")
        self.reader_present, self.sessions.desk_readers = present, desk_readers

    def failed(self, event: CardReadFailed) -> None:
        if (session := self.sessions.current()) is not None:
            self._say(session, N_("Card moved away too soon, please tap again"))

    def tap(self, tap: CardTapped) -> tuple[TapOutcome | None, float]:
        """What the card is, told to the right desk page; (outcome, ms from detection)."""
        outcome: TapOutcome | None = None
        for attempt in (1, 2, 3):
            try:
                outcome = self.checkins.at_desk(ReadCard(tap.uid, tap.kind, tap.record, tap.proof))
                break
            except StoreUnavailable as exc:
                log.warning("desk tap lookup failed (attempt %d): %s", attempt, exc)
                time.sleep(0.05 * attempt)
        session = self.sessions.current()
        if isinstance(outcome, TechnicianCard):
            self._technician(outcome, session, tap.reader)
        elif session is None:
            log.info("desk reader tap (%s) with nobody logged in at a desk",
                     outcome.kind if outcome else "error")
        elif isinstance(outcome, ResidentAtDesk):
            self.sessions.post(session, {"kind": "record",
                                         "url": f"/staff/residents/{outcome.resident_id}"})
        elif isinstance(outcome, UnknownCard):
            self._say(session, N_("This card is not known here. To give her a new card, press "
                                  "\"issue a card\" on her record first"))
        elif isinstance(outcome, VisitorCard):  # looked up only when she taps at the kiosk
            self._say(session, N_("She lives in another township: she taps her card at the kiosk "
                                  "first, then her record opens here"))
        elif isinstance(outcome, CardRefused):
            self._say(session, N_("This card cannot be used"))
        elif isinstance(outcome, ReadFailed) or outcome is None:
            self._say(session, N_("This card cannot be read here, please ask staff"))
        return outcome, (time.monotonic_ns() - tap.detected_ns) / 1e6

    def _technician(self, card: TechnicianCard, session: DeskSession | None,
                    reader: str) -> None:
        ended = self.sessions.end_for(card.technician_id)
        for own in ended:
            log.info("technician %s logged out at a desk by her card", card.technician_id)
            self.staff.logout(card.technician_id, "technician_card", own.where)
        # her own browser's login page still gets the tap (her desk's address changed, say)
        chosen = self.sessions.logins.tap(card.technician_id, card.name, reader,
                                          own_only=bool(ended))
        if ended or chosen is not None:
            return
        if session is not None:
            self._say(session, N_("This technician card is not yours: it does nothing here"))
        elif self.sessions.logins.waiting():
            log.info("technician card on the desk reader: no login page is hers (several wait)")

    def arm_at_kiosk(self, card: TechnicianCard) -> str | None:
        """Her card on the kiosk reader while her desk left a card waiting for the kiosk: that
        issuance starts now; the masked name of whose card it will be (None: nothing waits)."""
        request = self.sessions.issues.arm(card.technician_id)
        return None if request is None else request.label

    def end_expired(self, everything: bool = False) -> None:
        """The station loop's beat: idle sessions end, and refused desk logins that are due
        (all of them when the station stops, ``everything``) become summary events."""
        for session in self.sessions.expired():
            log.info("technician %s logged out at a desk after idling", session.technician_id)
            self.staff.logout(session.technician_id, "idle", session.where)
        for summary in self.sessions.refusals.due(everything):
            log.info("%d desk logins without a card tap refused from %s", summary.count,
                     summary.address)
            try:
                self.staff.desk_refused("no_ticket", {"address": summary.address,
                                                      "user_agent": summary.user_agent},
                                        count=summary.count)
            except StoreUnavailable as exc:  # a count, not a record: the loop goes on
                log.warning("refused desk logins from %s not logged: %s", summary.address, exc)

    def _say(self, session: DeskSession, message: str) -> None:
        self.sessions.post(session, {"kind": "notice", "message": message})
