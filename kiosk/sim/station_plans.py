"""Care plans in a simulated station's year: which plan a resident is offered, the dates a
plan is anchored on, and on which day she comes for an item (kiosk.sim.station_year)."""

from __future__ import annotations

import datetime as dt
import random

from kiosk.domain.care_plans import PlanSpec

# How often each shipped plan is offered (a plan file's own plans share the rest).
WEIGHTS = {"prenatal": 26, "contraceptive-supply": 30, "iud-followup": 10, "pre-pregnancy": 18,
           "postpartum": 4}
NEW_RESIDENT, RETURNING = 0.6, 0.15  # the chance a plan is begun at her visit


class PlanChoice:
    def __init__(self, rng: random.Random, plans: dict[str, PlanSpec]):
        self.rng = rng
        self.ids = sorted(plans)
        self.weights = [WEIGHTS.get(plan_id, 5) for plan_id in self.ids]

    def offer(self, current: set[str], new_resident: bool) -> str | None:
        """A plan to begin now, or None (most visits begin none)."""
        if self.rng.random() >= (NEW_RESIDENT if new_resident else RETURNING):
            return None
        plan = self.rng.choices(self.ids, self.weights)[0]
        return None if plan in current else plan


def anchors_for(rng: random.Random, plan_id: str, anchors: set[str], day: dt.date
                ) -> dict[str, dt.date]:
    """The dates a technician would enter when enrolling her on ``day``."""
    days = dt.timedelta(days=1)
    if plan_id == "prenatal":  # she comes at 6 to 14 weeks
        return {"last_menstrual_period": day - rng.randint(42, 98) * days}
    if plan_id == "postpartum":  # enrolled a few days after the birth
        born = day - rng.randint(2, 6) * days
        return {"delivery_date": born, "discharge_date": born + 2 * days}
    if plan_id == "iud-followup":
        return {"procedure_date": day - rng.randint(0, 3) * days}
    return {anchor: day for anchor in anchors}  # enrolment_date, or a plan file's own anchors


def open_day(day: dt.date) -> dt.date:
    """The station is closed on Sundays: she comes on the Monday."""
    return day + dt.timedelta(days=1) if day.weekday() == 6 else day


def visit_day(rng: random.Random, earliest: str, latest: str, enrolled: dt.date
              ) -> tuple[dt.date | None, bool]:
    """(the day she comes for an item, or declines it; None: she never comes), whether she
    declines. Most come within the window, some late, a few never; a window that closed
    before she enrolled is met soon after, late."""
    first, last = dt.date.fromisoformat(earliest), dt.date.fromisoformat(latest)
    chance = rng.random()
    if chance < 0.10:
        return None, False
    if last < enrolled or chance < 0.22:
        start = max(last, enrolled) + dt.timedelta(days=1)
        return open_day(start + dt.timedelta(days=rng.randint(0, 30))), False
    start = max(first, enrolled)
    when = open_day(start + dt.timedelta(days=rng.randint(0, (last - start).days)))
    return when, chance > 0.97
