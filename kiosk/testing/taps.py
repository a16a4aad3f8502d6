"""A tap at an in-process station core as its station loop takes it: a card of another
station's resident is looked up at the county the core's config names (kiosk.station.visitors),
or checked in by its card number when the county is out of reach. For tests and bench/."""

from __future__ import annotations

from typing import Any

from kiosk.domain.model import ReadCard
from kiosk.domain.outcomes import TapOutcome, VisitorCard


def tap(core: Any, card: ReadCard) -> TapOutcome:
    from kiosk.bootstrap import build_visitors
    outcome = core.checkins.handle_tap(card)
    if isinstance(outcome, VisitorCard):
        outcome = build_visitors(core.config, core).check_in(outcome, card)
    return outcome
