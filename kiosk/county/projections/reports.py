"""Events -> the report read models (kiosk/county/domain/reports.py says what is counted).

``ReportProjection.apply(rows, station_id, events)`` takes one accepted batch of a station's
chain (in seq order, from its stored position + 1) and returns the ``Changes`` to write in
the intake transaction; ``rebuild`` replays every station's stored chain the same way.

The result depends only on the set of events stored, never on the order in which stations'
batches arrived: each entity (a resident's consent, a plan item, a visit and its
corrections) keeps the count it contributes now (``counted``), and whenever anything about
it arrives its contribution is computed again from everything stored about it and only the
difference is added. So a correction that arrives from another station before the visit it
corrects, or a decline before the enrolment, counts the same as in chain order, and a
rebuild gives the incremental tables exactly.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from kiosk.county.domain.periods import DEFAULT_TIMEZONE, month_of_date, month_of_instant
from kiosk.county.domain.report_rows import (
    Changes,
    ConsentRow,
    CountKey,
    ItemRow,
    ReportRows,
    ResidentRow,
    SeenKey,
    VisitRow,
)
from kiosk.county.domain.reports import COUNTY
from kiosk.domain.events import Event
from kiosk.errors import KioskError

READ = frozenset({"checkin.created", "resident.registered", "consent.given", "consent.withdrawn",
                  "care.enrolled", "care_item.declined", "visit.logged", "visit.corrected"})
DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
log = logging.getLogger("kiosk.county")


def _text(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 200


def _date(value: Any) -> bool:
    return isinstance(value, str) and DATE.match(value) is not None


def _instant(wall_time: str, timezone: str) -> bool:
    try:
        month_of_instant(wall_time, timezone)
    except ValueError:
        return False
    return True


def readable(event: Event, timezone: str) -> bool:
    """Whether an event has what its indicator reads, in the shape the station writes. A
    signed batch is stored whatever its payloads say (the chain is the source of truth); an
    event this says no to is counted nowhere, the same on every replay, and logged."""
    p = event.payload
    if event.type == "checkin.created":
        return _date(p.get("local_date")) and _text(p.get("resident_id"))
    if event.type == "resident.registered":
        return _text(p.get("id")) and _instant(event.wall_time, timezone)
    if event.type in ("consent.given", "consent.withdrawn"):
        return _text(p.get("resident_id")) and _instant(event.wall_time, timezone)
    if event.type == "care.enrolled":
        items = p.get("items")
        return (_text(p.get("plan")) and _instant(event.wall_time, timezone)
                and isinstance(items, list) and all(
                    isinstance(i, dict) and _text(i.get("id")) and _text(i.get("code"))
                    and _date(i.get("latest")) for i in items))
    if event.type == "care_item.declined":
        return _text(p.get("item_id"))
    if event.type in ("visit.logged", "visit.corrected"):
        return (_text(p.get("id")) and _text(p.get("item_id")) and _date(p.get("visit_date"))
                and _text(p.get("outcome")) and (p.get("plan") in (None, "") or _text(p.get("plan")))
                and (p.get("corrects") is None or _text(p.get("corrects"))))
    return False


class ProjectionGap(KioskError, ValueError):
    """A batch does not start right after the projection's position for its station."""


class ReportProjection:
    def __init__(self, timezone: str = DEFAULT_TIMEZONE):
        self.timezone = timezone

    def apply(self, rows: ReportRows, station_id: str, events: Sequence[Event]) -> Changes:
        """The changes one batch makes (``rows.save`` them in the batch's transaction).
        Events at or below the station's position are skipped: a batch applied twice counts
        once."""
        position = rows.position(station_id)
        fresh = [e for e in events if e.seq > position]
        if fresh and fresh[0].seq != position + 1:
            raise ProjectionGap(f"station {station_id}: read models are at seq {position}, "
                                f"the batch starts at {fresh[0].seq}")
        changes = Changes()
        if fresh:
            counted = []
            for event in fresh:
                if event.type not in READ:
                    continue
                if readable(event, self.timezone):
                    counted.append(event)
                else:
                    log.warning("station %s seq %d %s: not counted in the reports (its payload "
                                "lacks what they read)", station_id, event.seq, event.type)
            _Batch(self.timezone, rows, station_id, changes).run(counted)
            changes.positions[station_id] = fresh[-1].seq
        return changes

    def rebuild(self, rows: ReportRows, stations: Iterable[str],
                events_after: Callable[[str, int], Sequence[Event]]) -> None:
        """Replay each station's chain from its position (0 on empty tables), in chunks
        read by ``events_after(station_id, seq)`` (an empty chunk ends a station)."""
        for station_id in stations:
            while chunk := events_after(station_id, rows.position(station_id)):
                rows.save(self.apply(rows, station_id, chunk))


class _Batch:
    """One batch's work: collect what it touches, load it in bulk, count the differences."""

    def __init__(self, timezone: str, rows: ReportRows, station_id: str, changes: Changes):
        self.tz, self.rows, self.station_id, self.changes = timezone, rows, station_id, changes

    def run(self, events: list[Event]) -> None:
        residents = {e.payload["resident_id"] for e in events
                     if e.type in ("consent.given", "consent.withdrawn")}
        residents |= {e.payload["id"] for e in events if e.type == "resident.registered"}
        items = {e.payload["item_id"] for e in events
                 if e.type in ("care_item.declined", "visit.logged", "visit.corrected")}
        for e in events:
            if e.type == "care.enrolled":
                items |= {i["id"] for i in e.payload["items"]}
        self.resident_rows = self.rows.residents(residents) if residents else {}
        self.consent_rows = self.rows.consents(residents) if residents else {}
        self.item_rows = self.rows.items(items) if items else {}
        self.visit_rows = self.rows.visits_of_items(items) if items else {}
        self.checkins: list[tuple[str, str]] = []
        for event in events:
            getattr(self, "on_" + event.type.replace(".", "_"))(event)
        self._count_served()
        for resident_id in residents:
            self._recount_consent(resident_id)
        for item_id in items:
            self._recount_item(item_id)

    def count(self, indicator: str, month: str, plan: str = "", item: str = "",
              category: str = "", station_id: str | None = None, delta: int = 1) -> None:
        station = self.station_id if station_id is None else station_id
        self.changes.add(CountKey(station, indicator, plan, item, category, month), delta)

    # -- one handler per event type read -------------------------------------------
    def on_checkin_created(self, event: Event) -> None:
        month = month_of_date(event.payload["local_date"])
        self.count("checkins", month)
        self.checkins.append((month, event.payload["resident_id"]))

    def on_resident_registered(self, event: Event) -> None:
        self.count("registrations", month_of_instant(event.wall_time, self.tz))
        resident_id = event.payload["id"]
        known = self.resident_rows.get(resident_id)
        self.resident_rows[resident_id] = (replace(known, home=self.station_id) if known
                                           else ResidentRow(resident_id, self.station_id))

    def on_consent_given(self, event: Event) -> None:
        row = ConsentRow(event.payload["resident_id"], self.station_id, event.seq,
                         event.wall_time, event.type == "consent.given")
        self.changes.consents.append(row)
        self.consent_rows.setdefault(row.resident_id, []).append(row)

    on_consent_withdrawn = on_consent_given

    def on_care_enrolled(self, event: Event) -> None:
        payload = event.payload
        self.count("enrolments", month_of_instant(event.wall_time, self.tz),
                   category=payload["plan"])
        for item in payload["items"]:
            known = self.item_rows.get(item["id"], ItemRow(item["id"]))
            self.item_rows[item["id"]] = replace(known, station_id=self.station_id,
                                                 plan=payload["plan"], code=item["code"],
                                                 latest=item["latest"])

    def on_care_item_declined(self, event: Event) -> None:
        item_id = event.payload["item_id"]
        self.item_rows[item_id] = replace(self.item_rows.get(item_id, ItemRow(item_id)),
                                          declined=True)

    def on_visit_logged(self, event: Event) -> None:
        p = event.payload
        visit = VisitRow(p["id"], self.station_id, event.seq, event.wall_time, p["item_id"],
                         p.get("plan") or "", p["visit_date"], p["outcome"], p.get("corrects"))
        self.visit_rows.setdefault(visit.item_id, []).append(visit)
        self.changes.visits[visit.visit_id] = visit

    on_visit_corrected = on_visit_logged

    # -- contributions computed again from everything stored ---------------------------
    def _count_served(self) -> None:
        keys = {SeenKey(where, month, resident) for month, resident in self.checkins
                for where in (self.station_id, COUNTY)}
        new = keys - self.rows.seen(keys) if keys else set()
        for key in new:
            self.count("residents_served", key.month, station_id=key.station_id)
        self.changes.seen |= new

    def _recount_consent(self, resident_id: str) -> None:
        resident = self.resident_rows.get(resident_id, ResidentRow(resident_id, ""))
        counted = (consent_steps(self.consent_rows.get(resident_id, []), self.tz)
                   if resident.home else "")
        self._swap(resident.counted, counted, lambda month, delta: self.count(
            "consent_in_force", month, station_id=resident.home, delta=delta))
        self.changes.residents[resident_id] = replace(resident, counted=counted)

    def _recount_item(self, item_id: str) -> None:
        visits = self.visit_rows.get(item_id, [])
        done: str | None = None
        for first, latest in visit_families(visits):
            done = latest.visit_date if done is None else min(done, latest.visit_date)
            counted = f"{month_of_date(latest.visit_date)}|{latest.outcome}"
            if counted != first.counted:
                def count_visit(key: Any, delta: int, v: VisitRow = first) -> None:
                    self.count("visits", key[0], plan=v.plan, category=key[1],
                               station_id=v.station_id, delta=delta)
                self._swap(first.counted, counted, count_visit)
                first = replace(first, counted=counted)
                self.changes.visits[first.visit_id] = first
                self.visit_rows[item_id] = [first if v.visit_id == first.visit_id else v
                                            for v in self.visit_rows[item_id]]
        item = self.item_rows.get(item_id, ItemRow(item_id))
        counted = window_status(item, done) if item.latest else ""
        if counted != item.counted:
            self._swap(item.counted, counted, lambda key, delta: self.count(
                "windows", key[0], plan=item.plan, item=item.code, category=key[1],
                station_id=item.station_id, delta=delta))
        self.changes.items[item_id] = replace(item, counted=counted)

    @staticmethod
    def _swap(old: str, new: str, count: Callable[[Any, int], None]) -> None:
        """Take back what ``old`` counted and count ``new`` (both as their text forms)."""
        if old == new:
            return
        for key, delta in parse_counted(old):
            count(key, -delta)
        for key, delta in parse_counted(new):
            count(key, delta)


def parse_counted(text: str) -> list[tuple[Any, int]]:
    """"2026-03:1,2026-07:-1" -> [("2026-03", 1), ("2026-07", -1)];
    "2026-05|within" -> [(("2026-05", "within"), 1)]."""
    if not text:
        return []
    if "|" in text:
        month, category = text.split("|")
        return [((month, category), 1)]
    return [(month, int(delta)) for month, delta in (p.split(":") for p in text.split(","))]


def consent_steps(changes: list[ConsentRow], timezone: str) -> str:
    """Her consent as month-end steps: "+1 from this month, -1 from that one". Changes are
    ordered by wall time, then station and seq (the only order two stations share)."""
    state, steps = False, []
    by_month: dict[str, bool] = {}
    for row in sorted(changes, key=lambda r: (r.wall_time, r.station_id, r.seq)):
        by_month[month_of_instant(row.wall_time, timezone)] = row.given
    for month in sorted(by_month):
        if by_month[month] != state:
            state = by_month[month]
            steps.append(f"{month}:{1 if state else -1}")
    return ",".join(steps)


def visit_families(visits: list[VisitRow]) -> list[tuple[VisitRow, VisitRow]]:
    """(first visit, its latest correction or itself) for each logged visit of one item.
    A correction names the visit it corrects; of two corrections of one visit the later
    (wall time, station, seq) wins. A correction whose visit has not arrived waits."""
    children: dict[str, list[VisitRow]] = {}
    for visit in visits:
        if visit.corrects:
            children.setdefault(visit.corrects, []).append(visit)
    families = []
    for first in sorted((v for v in visits if not v.corrects), key=lambda v: v.visit_id):
        latest, hops = first, 0
        while latest.visit_id in children and hops < len(visits):
            latest = max(children[latest.visit_id], key=lambda v: (v.wall_time, v.station_id, v.seq))
            hops += 1
        families.append((first, latest))
    return families


def window_status(item: ItemRow, done: str | None) -> str:
    """"<month of the window's last day>|within|late|open", or "" for a declined item that
    was never done (her choice is counted nowhere)."""
    month = month_of_date(item.latest)
    if done is not None:
        return f"{month}|{'within' if done <= item.latest else 'late'}"
    return "" if item.declined else f"{month}|open"
