"""The report numbers counted straight from the events, without the read models: what
kiosk/county/domain/reports.py says, written a second time as plainly as possible."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from kiosk.domain.events import Event

ZONE = ZoneInfo("Asia/Shanghai")


def local_month(wall_time: str) -> str:
    return dt.datetime.fromisoformat(wall_time.replace("Z", "+00:00")).astimezone(ZONE).strftime("%Y-%m")


def count(stations: dict[str, Iterable[Event]]) -> Counter:
    """(station or "" for the county's distinct count, indicator, plan, item, category,
    month) -> n, for every bottom cell; consent in force as a stock at each month's end
    for the months 2025-10 .. 2026-12."""
    n: Counter = Counter()
    events = [e for chain in stations.values() for e in chain]
    served: dict[tuple[str, str], set] = defaultdict(set)
    home, consent = {}, defaultdict(list)
    items, declined, visits = {}, set(), {}
    for e in events:
        p = e.payload
        if e.type == "checkin.created":
            month = p["local_date"][:7]
            n[(e.station_id, "checkins", "", "", "", month)] += 1
            served[(e.station_id, month)].add(p["resident_id"])
            served[("", month)].add(p["resident_id"])
        elif e.type == "resident.registered":
            n[(e.station_id, "registrations", "", "", "", local_month(e.wall_time))] += 1
            home[p["id"]] = e.station_id
        elif e.type in ("consent.given", "consent.withdrawn"):
            consent[p["resident_id"]].append((e.wall_time, e.station_id, e.seq,
                                              e.type == "consent.given"))
        elif e.type == "care.enrolled":
            n[(e.station_id, "enrolments", "", "", p["plan"], local_month(e.wall_time))] += 1
            for item in p["items"]:
                items[item["id"]] = (e.station_id, p["plan"], item["code"], item["latest"])
        elif e.type == "care_item.declined":
            declined.add(p["item_id"])
        elif e.type in ("visit.logged", "visit.corrected"):
            visits[p["id"]] = (e, p)
    for (station, month), who in served.items():
        n[(station, "residents_served", "", "", "", month)] = len(who)
    months = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)]
    for resident, station in home.items():
        changes = sorted(consent.get(resident, []))
        for month in months:
            state = [given for wall, _, _, given in changes if local_month(wall) <= month]
            if state and state[-1]:
                n[(station, "consent_in_force", "", "", "", month)] += 1
    latest = {}
    for vid, (e, p) in visits.items():
        if p.get("corrects"):
            continue
        at = (e, p)
        while True:
            fixes = [v for v in visits.values() if v[1].get("corrects") == at[1]["id"]]
            if not fixes:
                break
            at = max(fixes, key=lambda v: (v[0].wall_time, v[0].station_id, v[0].seq))
        latest[vid] = (e, p, at[1])
        n[(e.station_id, "visits", p["plan"], "", at[1]["outcome"], at[1]["visit_date"][:7])] += 1
    done: dict[str, str] = {}
    for _e, p, last in latest.values():
        done[p["item_id"]] = min(done.get(p["item_id"], "9999"), last["visit_date"])
    for item_id, (station, plan, code, end) in items.items():
        if item_id in done:
            status = "within" if done[item_id] <= end else "late"
        elif item_id in declined:
            continue
        else:
            status = "open"
        n[(station, "windows", plan, code, status, end[:7])] += 1
    return +n
