"""A visitor's tap (issue 24): her card was issued elsewhere and this station does not hold
her. The station records its own signed tap, asks the county for her record (a short wait:
she is at the kiosk), keeps it and checks her in as anyone else; with the county out of reach,
or not knowing her card yet, she is checked in against her card number and linked later
(kiosk.sync.visitors). A card the county says is revoked is refused here from then on.

Runs on the station loop's thread, between two taps: the county's answer is waited for outside
any unit of work, so the pages and sync keep writing meanwhile."""

from __future__ import annotations

import logging
import time
from typing import Any

from kiosk.domain.model import ReadCard
from kiosk.domain.outcomes import TapOutcome, VisitorCard
from kiosk.sync.visitors import Refused, ask, forget_expired, keep

log = logging.getLogger(__name__)


class VisitorDesk:
    """``link`` (the county link, None without a county) and ``county_key`` (its public key)."""

    def __init__(self, core: Any, link: Any = None, county_key: Any = None):
        self.core, self.link, self.county_key = core, link, county_key
        self._forgot = -3600.0  # monotonic time of the last forgetting

    def forget_hourly(self) -> None:
        """On the station loop's heartbeat: forget expired visitors at most once an hour
        (sync does it after every pull; this also serves a station without a county)."""
        if time.monotonic() - self._forgot >= 3600:
            self._forgot = time.monotonic()
            forget_expired(self.core)

    def check_in(self, visitor: VisitorCard, card: ReadCard) -> TapOutcome:
        checkins = self.core.checkins
        tap_seq = checkins.visitor_tapped(visitor)
        answer = ask(self.core, self.link, self.county_key, visitor.card_no, visitor.record,
                     tap_seq)
        if isinstance(answer, Refused) and answer.status == 403 and answer.reason == "revoked":
            with self.core.uow() as uow:  # refused here too from now on
                uow.issued_cards.note_revoked(visitor.card_no)
                uow.commit()
        elif isinstance(answer, Refused) and answer.status == 403:
            log.warning("visitor card %s: the county does not take its record (%s)",
                        visitor.card_no, answer.reason)
        elif isinstance(answer, dict) and not keep(self.core, answer, visitor.card_no, tap_seq):
            log.warning("visitor card %s: her record did not bring the card", visitor.card_no)
        outcome = checkins.handle_tap(card, refresh=False)  # on what this station now holds
        if isinstance(outcome, VisitorCard):  # still nobody here: by her card number
            return checkins.check_in_visitor(visitor, tap_seq)
        return outcome
