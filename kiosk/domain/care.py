"""Enrolment in care plans, her choice to decline, and follow-up visits.

Enrolment is a technician action with her present and needs her consent to
processing of health information. Declining a plan or an item is recorded as
her choice: it closes the item and nothing else follows from it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import replace

from kiosk.domain import validation
from kiosk.domain.care_plans import PlanError, PlanSpec, schedule
from kiosk.domain.model import CarePlanItem, Resident, Visit, local_date
from kiosk.domain.registry import existing_resident
from kiosk.domain.unit_of_work import Clock, UnitOfWork
from kiosk.domain.validation import Invalid

OUTCOMES = ("completed", "completed_referred", "partly_done")


class CareService:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Clock, timezone: str,
                 plans: dict[str, PlanSpec]):
        self.uow_factory, self.clock, self.timezone, self.plans = uow_factory, clock, timezone, plans

    def today(self) -> dt.date:
        return local_date(self.clock.now(), self.timezone)

    def _now(self) -> str:
        return self.clock.now().astimezone(dt.UTC).isoformat(timespec="seconds")

    def _consenting(self, uow: UnitOfWork, resident_id: str) -> Resident:
        resident = existing_resident(uow, resident_id)
        if not resident.consented:
            raise Invalid("consent", "Her consent to health records is needed first")
        return resident

    def enrol(self, resident_id: str, plan_id: str, anchors: dict[str, str], by: str
              ) -> list[CarePlanItem]:
        plan = self.plans.get(plan_id)
        if plan is None:
            raise Invalid("plan", "Choose one of the options")
        dates = {}
        for anchor in sorted(plan.anchors()):
            dates[anchor] = dt.date.fromisoformat(validation.date(
                f"anchor_{anchor}", anchors.get(anchor), not_before=self.today() - dt.timedelta(days=400),
                not_after=self.today() + dt.timedelta(days=400)))
        with self.uow_factory() as uow:
            self._consenting(uow, resident_id)
            if plan_id in uow.enrolments.active_plans(resident_id):
                raise Invalid("plan", "She is already enrolled in this plan")
            enrolment_id = f"enr-{uuid.uuid4().hex[:12]}"
            try:
                items = schedule(plan, dates, resident_id, enrolment_id)
            except PlanError:
                raise Invalid("plan", "Enter the dates the plan needs") from None
            items = [replace(i, enrolment_id=enrolment_id, code=i.id[len(enrolment_id) + 1:])
                     for i in items]
            uow.enrolments.add(enrolment_id, resident_id, plan_id, "enrolled",
                               {k: v.isoformat() for k, v in dates.items()}, self._now(), by)
            for item in items:
                uow.care_items.add(item)
            uow.record("care.enrolled", {
                "enrolment_id": enrolment_id, "resident_id": resident_id, "plan": plan_id,
                "anchors": {k: v.isoformat() for k, v in dates.items()}, "by": by,
                "items": [{"id": i.id, "code": i.code, "earliest": i.earliest, "due": i.due,
                           "latest": i.latest} for i in items]})
            uow.commit()
            return items

    def decline_plan(self, resident_id: str, plan_id: str, by: str) -> None:
        """She says no to the plan: recorded as her choice, nothing is scheduled."""
        if plan_id not in self.plans:
            raise Invalid("plan", "Choose one of the options")
        with self.uow_factory() as uow:
            existing_resident(uow, resident_id)
            enrolment_id = f"enr-{uuid.uuid4().hex[:12]}"
            uow.enrolments.add(enrolment_id, resident_id, plan_id, "declined", {}, self._now(), by)
            uow.record("care.declined", {"resident_id": resident_id, "plan": plan_id, "by": by,
                                         "enrolment_id": enrolment_id})
            uow.commit()

    def decline_item(self, item_id: str, by: str) -> None:
        with self.uow_factory() as uow:
            item = self._open_item(uow, item_id)
            uow.care_items.update(replace(item, declined_on=self.today().isoformat()))
            uow.record("care_item.declined", {"item_id": item_id, "resident_id": item.resident_id,
                                              "by": by})
            uow.commit()

    @staticmethod
    def _open_item(uow: UnitOfWork, item_id: str) -> CarePlanItem:
        item = uow.care_items.get(item_id)
        if item is None:
            raise Invalid("item", "No such plan item")
        if item.done_on or item.declined_on:
            raise Invalid("item", "This item is already closed")
        return item

    def log_visit(self, item_id: str, visit_date: str, outcome: str, note: str,
                  next_appointment: str | None, by: str, corrects: str | None = None) -> Visit:
        """Log (or, with ``corrects``, correct) a visit; the next item gets the appointment."""
        today = self.today()
        day = validation.date("visit_date", visit_date, not_after=today + dt.timedelta(days=1),
                              not_before=today - dt.timedelta(days=366))
        outcome = validation.choice("outcome", outcome, OUTCOMES)
        note = validation.note(note)
        with self.uow_factory() as uow:
            if corrects:
                old = uow.visits.get(corrects)
                corrected = uow.care_items.get(old.item_id) if old else None
                if corrected is None:
                    raise Invalid("visit", "No such visit")
                item = corrected
            else:
                item = self._open_item(uow, item_id)
            self._consenting(uow, item.resident_id)
            following = self._next_item(uow, item)
            default_next = following.next_date if following else None
            appointment = validation.date("next_appointment", next_appointment, required=False,
                                          not_before=dt.date.fromisoformat(day))
            appointment = appointment or default_next
            if appointment and not following:
                appointment = None  # nothing left in this plan to book
            visit = Visit(f"vis-{uuid.uuid4().hex[:12]}", item.id, item.resident_id, day, outcome,
                          note, appointment, by, self._now(), corrects)
            uow.visits.add(visit)
            uow.care_items.update(replace(item, done_on=day))
            if following and appointment:
                uow.care_items.update(replace(following, appointment=appointment))
            uow.record("visit.corrected" if corrects else "visit.logged", {
                **vars(visit), "plan": item.plan, "next_item_id": following.id if following else None})
            uow.commit()
            return visit

    @staticmethod
    def _next_item(uow: UnitOfWork, item: CarePlanItem) -> CarePlanItem | None:
        siblings = [i for i in uow.care_items.for_resident(item.resident_id)
                    if i.enrolment_id == item.enrolment_id and i.id != item.id
                    and not i.done_on and not i.declined_on and i.due >= item.due]
        return min(siblings, key=lambda i: (i.due, i.id), default=None)
