"""A simulated station's year: a plausible signed event log for the demo's county (and for
tests that want one quickly).

Built without a database: each event is made as the station's own services make it (the
same payload fields, ``withhold`` for the station-only ones, ``EventFactory`` for the chain
and the signature with the station's key, the queue's moves from ``DayQueue``), so the county
verifies and counts it like any station's push, and ``kiosk.store.rebuild`` can turn it into
a station database. Signing in one loop is what makes it fast: tens of thousands of events
in seconds, where driving the services through SQLite (kiosk/testing/history.py) takes
minutes. tests/demo/test_station_year.py keeps the payloads in line with the services'.

The station opens six days a week; residents register (most of them early, as the station
takes up the kiosk), consent or not, get a card, check in, are called, served and enrolled in
care plans; visits fall mostly within their windows, some late, a few never; now and then
she declines an item or a plan (her choice, counted nowhere), or withdraws her consent.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import kiosk
from kiosk.domain.cards import uid_hash
from kiosk.domain.care_plans import PlanSpec, schedule
from kiosk.domain.disclosure import withhold
from kiosk.domain.events import ChainHead, Event, Signer
from kiosk.domain.model import Resident, Visit
from kiosk.domain.queue import DayQueue, Move, new_entry
from kiosk.domain.registry import CONSENT_VERSION
from kiosk.domain.unit_of_work import EventFactory
from kiosk.keys import StationKey
from kiosk.sim import people
from kiosk.sim.station_plans import PlanChoice, anchors_for, open_day, visit_day

OUTCOMES = (("completed", 85), ("completed_referred", 8), ("partly_done", 7))
NOTES = ("", "", "", "血压正常", "已预约下次", "建议复查")


@dataclass(frozen=True)
class Profile:
    """How busy a station is and where its residents live."""

    villages: tuple[str, ...]
    registrations_early: float = 2.2  # a day, in the first two months
    registrations_later: float = 0.8  # a day, afterwards
    walk_ins: float = 2.0  # check-ins a weekday besides plan visits
    technicians: int = 2


@dataclass
class SimulatedLog:
    """A station's signed events in chain order, the station-only values kept beside them
    (seq -> path -> salt and value, as in ``event_secrets``), and every name and birth date
    it registered (for tests that search the county's pages for them)."""

    station_id: str
    events: list[Event] = field(default_factory=list)
    secrets: dict[int, dict[str, Any]] = field(default_factory=dict)
    private: set[str] = field(default_factory=set)


class _Clock:
    """The simulation's time: set to each action's moment, never going back; the station is
    switched on each morning (a new boot, its monotonic clock counting from then)."""

    def __init__(self) -> None:
        self._now = self._booted = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        self._boot = ""

    def at(self, moment: dt.datetime) -> None:
        self._now = max(moment, self._now + dt.timedelta(seconds=1))

    def boot(self, rng: random.Random, moment: dt.datetime) -> None:
        self._boot = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        self._booted = self._now = max(moment, self._now + dt.timedelta(seconds=1))

    def now(self) -> dt.datetime:
        return self._now

    def monotonic_ns(self) -> int:
        return 40 * 10**9 + (self._now - self._booted) // dt.timedelta(microseconds=1) * 1000

    def boot_id(self) -> str:
        return self._boot

    def source(self) -> str:
        return "ntp"


@dataclass
class _Resident:
    id: str
    consented: bool
    card_no: str
    plans: set[str] = field(default_factory=set)


@dataclass
class _Item:
    id: str
    resident_id: str
    plan: str
    due: str
    enrolment_id: str
    done: bool = False
    declined: bool = False
    appointment: str | None = None


class StationYear:
    """``run(start, end)`` simulates the days from ``start`` up to (not including) ``end``."""

    def __init__(self, station_id: str, key: Signer, public_key_hex: str,
                 plans: dict[str, PlanSpec], profile: Profile, timezone: str = "Asia/Shanghai",
                 seed: int = 0, rooms: tuple[str, ...] = ("room1",)):
        self.station_id, self.plans, self.profile = station_id, plans, profile
        self.zone, self.rooms, self.public_key_hex = ZoneInfo(timezone), rooms, public_key_hex
        self.rng, self.clock = random.Random(seed), _Clock()
        self.factory = EventFactory(station_id, key, self.clock)
        self.log, self.head = SimulatedLog(station_id), ChainHead()
        self.residents: list[_Resident] = []
        self.by_id: dict[str, _Resident] = {}
        self.items: dict[str, _Item] = {}
        self.visits: dict[dt.date, list[str]] = {}  # day -> item ids she comes in for
        self.declines: dict[dt.date, list[str]] = {}  # day -> item ids she declines
        self.withdrawals: dict[dt.date, list[str]] = {}  # day -> residents withdrawing consent
        self.desk: dict[dt.date, list[tuple[str, str]]] = {}  # day -> (resident, plan) enrolments
        self.technicians: list[str] = []
        self.choice = PlanChoice(self.rng, plans)

    # -- the log ----------------------------------------------------------------------------
    def record(self, type_: str, payload: dict[str, Any]) -> Event:
        """As ``UnitOfWork.record``: station-only fields committed, then signed and chained."""
        signed, kept = withhold(type_, payload)
        event = self.factory.next(self.head, type_, signed)
        self.log.events.append(event)
        if kept:
            self.log.secrets[event.seq] = kept
        self.head = ChainHead(event.seq, event.hash)
        return event

    def _stamp(self) -> str:
        return self.clock.now().astimezone(dt.UTC).isoformat(timespec="seconds")

    def _local(self, day: dt.date, minute: float) -> dt.datetime:
        start = dt.datetime.combine(day, dt.time(8, 0), self.zone)
        return start + dt.timedelta(minutes=minute)

    @property
    def by(self) -> str:
        return self.rng.choice(self.technicians)

    # -- the year ---------------------------------------------------------------------------
    def run(self, start: dt.date, end: dt.date) -> SimulatedLog:
        self.clock.boot(self.rng, self._local(start, -30))
        self.record("station.initialized", {"station_id": self.station_id,
                                            "public_key": self.public_key_hex,
                                            "software": f"kiosk {kiosk.__version__}"})
        for n in range(self.profile.technicians):
            technician = people.hex_id(self.rng, "tech")
            name = people.TECHNICIANS[n % len(people.TECHNICIANS)]
            self.record("technician.added", {"technician_id": technician, "name": name,
                                             "by": "console"})
            self.technicians.append(technician)
        day = start
        while day < end:
            if day.weekday() != 6:  # closed on Sundays
                self.clock.boot(self.rng, self._local(day, -20))
                self.day(day, 0.5 if day.weekday() == 5 else 1.0, (day - start).days < 60)
            day += dt.timedelta(days=1)
        return self.log

    def _poisson(self, mean: float) -> int:
        """Arrivals in a day (Knuth's method; the means here are small)."""
        limit, count, product = math.exp(-mean), 0, self.rng.random()
        while product > limit:
            count += 1
            product *= self.rng.random()
        return count

    def day(self, day: dt.date, busy: float, early: bool) -> None:
        """One open day: who comes, in the order they come, and the queue that serves them."""
        profile = self.profile
        coming: dict[str, list[str]] = {}
        for item_id in self.visits.pop(day, []):
            item = self.items[item_id]
            if self.by_id[item.resident_id].consented and not item.done and not item.declined:
                coming.setdefault(item.resident_id, []).append(item_id)
        walk_ins = self._poisson(profile.walk_ins * busy)
        for resident in self.rng.sample(self.residents, min(walk_ins, len(self.residents))):
            coming.setdefault(resident.id, [])
        arrivals: list[tuple[float, str | None, list[str]]] = [
            (self.rng.uniform(0, 450), rid, items) for rid, items in coming.items()]
        rate = profile.registrations_early if early else profile.registrations_later
        arrivals += [(self.rng.uniform(0, 450), None, [])
                     for _ in range(self._poisson(rate * busy))]
        arrivals.sort(key=lambda a: a[0])
        queue, free_at, queue_no = DayQueue(), 0.0, 0
        for minute, resident_id, item_ids in arrivals:
            self.clock.at(self._local(day, minute))
            new = resident_id is None
            resident = self.by_id[self.register(day) if resident_id is None else resident_id]
            queue_no += 1
            checkin_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            self.record("checkin.created", {"checkin_id": checkin_id, "resident_id": resident.id,
                                            "local_date": day.isoformat(), "queue_no": queue_no,
                                            "card_no": resident.card_no})
            queue.add(new_entry(checkin_id, day.isoformat(), queue_no))
            called = max(minute + self.rng.uniform(2, 15), free_at)
            free_at = self.serve(queue, day, checkin_id, called, resident, item_ids, new)
        for item_id in self.declines.pop(day, []):
            self._decline_item(item_id)
        for resident_id in self.withdrawals.pop(day, []):
            self._withdraw(resident_id)
        for resident_id, plan in self.desk.pop(day, []):  # at the desk, without a check-in
            self.clock.at(self._local(day, max(free_at, 470) + 5))
            self.enrol(resident_id, plan, day, done_today=False)
        for move in queue.close_day(self._queue_at(self._local(day, 600))):
            self.record(move.event_type, move.payload)

    def _queue_at(self, moment: dt.datetime) -> str:
        self.clock.at(moment)
        return self.clock.now().astimezone(dt.UTC).isoformat(timespec="microseconds")

    def _move(self, move: Move) -> None:
        self.record(move.event_type, move.payload)

    def serve(self, queue: DayQueue, day: dt.date, checkin_id: str, minute: float,
              resident: _Resident, item_ids: list[str], new: bool) -> float:
        """Called, in service, her visits logged (and a plan begun now and then), done; when
        the room is free again. One room serves one at a time, so a check-in that came
        while someone was served is written after (the clock never goes back)."""
        room = self.rng.choice(self.rooms)
        self._move(queue.call(checkin_id, room, self._queue_at(self._local(day, minute)), self.by))
        if self.rng.random() < 0.02:  # nobody answered: penalty-free, she may come another day
            self._move(queue.no_show(checkin_id, self._queue_at(self._local(day, minute + 2)),
                                     self.by))
            return minute + 2
        self._move(queue.start(checkin_id, self._queue_at(self._local(day, minute + 1)), self.by))
        self.clock.at(self._local(day, minute + 4))
        for item_id in item_ids:
            self.log_visit(item_id, day)
        if resident.consented and (plan := self.choice.offer(resident.plans, new)):
            self.enrol(resident.id, plan, day, done_today=True)
        done = minute + self.rng.uniform(6, 16)
        self._move(queue.done(checkin_id, self._queue_at(self._local(day, done)), self.by))
        return done

    # -- residents ---------------------------------------------------------------------------
    def register(self, day: dt.date) -> str:
        rng = self.rng
        consent = rng.random() < 0.9
        name = people.woman(rng) if rng.random() < 0.93 else people.man(rng)
        now = self._stamp()
        rid = people.hex_id(rng, "res")
        if consent:
            resident = Resident(rid, name, people.birth_date(rng, day, 19, 46),
                                rng.choice(self.profile.villages),
                                people.phone(rng) if rng.random() < 0.8 else None,
                                consent_version=CONSENT_VERSION, consent_at=now, registered_at=now)
            self.log.private.add(str(resident.birth_date))
        else:  # no consent: nothing beyond the card binding
            resident = Resident(rid, name, registered_at=now)
        self.log.private.add(name)
        by = self.by
        self.record("resident.registered", {**vars(resident), "by": by})
        if consent:
            self.record("consent.given", {"resident_id": rid, "version": CONSENT_VERSION,
                                          "by": by})
        uid = bytes([0x04]) + rng.randbytes(rng.choice((3, 6, 9)))
        card_no = "".join(rng.choice("ACDEFGHJKLMNPQRTUVWXY3469") for _ in range(10))
        self.record("card.issued", {"card_no": card_no, "role": "resident", "holder_id": rid,
                                    "uid_hash": uid_hash(uid), "kind": rng.choice(("mifare", "cpu")),
                                    "reason": "new", "by": by})
        sim = _Resident(rid, consent, card_no)
        self.residents.append(sim)
        self.by_id[rid] = sim
        if consent and rng.random() < 0.012:  # she withdraws it some weeks later
            later = day + dt.timedelta(days=rng.randint(20, 200))
            self.withdrawals.setdefault(later, []).append(rid)
        return rid

    # -- care plans --------------------------------------------------------------------------
    def enrol(self, resident_id: str, plan_id: str, day: dt.date, done_today: bool) -> None:
        resident, by = self.by_id[resident_id], self.by
        if plan_id in resident.plans or not resident.consented:
            return
        if self.rng.random() < 0.04:  # she says no: her choice, nothing is scheduled
            enrolment_id = people.hex_id(self.rng, "enr")
            self.record("care.declined", {"resident_id": resident_id, "plan": plan_id, "by": by,
                                          "enrolment_id": enrolment_id})
            return
        plan = self.plans[plan_id]
        dates = anchors_for(self.rng, plan_id, plan.anchors(), day)
        enrolment_id = people.hex_id(self.rng, "enr")
        items = schedule(plan, dates, resident_id, enrolment_id)
        resident.plans.add(plan_id)
        self.record("care.enrolled", {
            "enrolment_id": enrolment_id, "resident_id": resident_id, "plan": plan_id,
            "anchors": {k: v.isoformat() for k, v in dates.items()}, "by": by,
            "items": [{"id": i.id, "code": i.id[len(enrolment_id) + 1:], "earliest": i.earliest,
                       "due": i.due, "latest": i.latest} for i in items]})
        for item in items:
            self.items[item.id] = _Item(item.id, resident_id, plan_id, item.due, enrolment_id)
            when, declined = visit_day(self.rng, item.earliest, item.latest, day)
            if when is None:
                continue
            if when == day and done_today and not declined:
                self.log_visit(item.id, day)
            elif when > day:
                (self.declines if declined else self.visits).setdefault(when, []).append(item.id)
        if plan_id == "prenatal" and self.rng.random() < 0.8:  # then her postpartum care
            born = dates["last_menstrual_period"] + dt.timedelta(days=self.rng.randint(270, 290))
            self.desk.setdefault(open_day(born + dt.timedelta(days=4)), []).append(
                (resident_id, "postpartum"))

    def log_visit(self, item_id: str, day: dt.date, corrects: Visit | None = None) -> None:
        item = self.items[item_id]
        following = min((i for i in self.items.values()
                         if i.enrolment_id == item.enrolment_id and i.id != item.id
                         and not i.done and not i.declined and i.due >= item.due),
                        key=lambda i: (i.due, i.id), default=None)
        appointment = (following.appointment or following.due) if following else None
        outcome = self.rng.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
        visit = Visit(people.hex_id(self.rng, "vis"), item.id, item.resident_id, day.isoformat(),
                      outcome, self.rng.choice(NOTES), appointment, self.by, self._stamp(),
                      corrects.id if corrects else None)
        item.done = True
        if following and appointment:
            following.appointment = appointment
        self.record("visit.corrected" if corrects else "visit.logged", {
            **vars(visit), "plan": item.plan, "next_item_id": following.id if following else None})
        if corrects is None and self.rng.random() < 0.02:  # a slip, put right at once
            self.clock.at(self.clock.now() + dt.timedelta(minutes=2))
            self.log_visit(item_id, day, corrects=visit)

    def _withdraw(self, resident_id: str) -> None:
        """She withdraws her consent: no new health records (her planned visits lapse)."""
        resident = self.by_id[resident_id]
        if resident.consented:
            resident.consented = False
            self.record("consent.withdrawn", {"resident_id": resident_id, "by": self.by})

    def _decline_item(self, item_id: str) -> None:
        item = self.items[item_id]
        if item.done or item.declined or not self.by_id[item.resident_id].consented:
            return
        item.declined = True
        self.record("care_item.declined", {"item_id": item_id, "resident_id": item.resident_id,
                                           "by": self.by})


def simulate_year(station_id: str, key: StationKey, end: dt.date, plans: dict[str, PlanSpec],
                  profile: Profile, timezone: str = "Asia/Shanghai", seed: int = 0,
                  days: int = 365) -> SimulatedLog:
    """The station's log from ``days`` before ``end`` up to the day before it, signed with
    ``key``."""
    year = StationYear(station_id, key, key.public_bytes().hex(), plans, profile, timezone, seed)
    return year.run(end - dt.timedelta(days=days), end)
