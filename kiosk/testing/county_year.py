"""A station's year of signed events, made fast (for bench/county_reports.py and the county's
report tests): registrations with consent, check-ins and queue moves, enrolments in the
shipped care plans with every item's window, visits, corrections, declines and consent
withdrawals, with the payloads the station writes (kiosk/testing/history.py builds the same
through the domain services, which takes about 100 times longer).

Signing is what costs (one Ed25519 signature and one SHA-256 per event), so a bench makes
each station's year once, in a process pool, and keeps it under /tmp (``cached_year``).
``sign=False`` gives unsigned events for the read models alone (no verifier looks)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

from kiosk.domain.events import FORMAT_VERSION, GENESIS_HASH, Event, canonical_json

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
VILLAGES = ("东湾村", "西岭村", "南坪村", "北溪村")
# Per ~100 actions; a day of a station's year holds about ``per_day`` events.
ACTIONS = (("register", 5), ("check_in", 34), ("queue", 30), ("enrol", 4), ("visit", 11),
           ("correct", 1), ("decline", 1.5), ("withdraw", 0.6), ("view", 4))


def _plans() -> list[tuple[str, list[tuple[str, int, int, int]]]]:
    """(plan, [(item code, earliest, due, latest days from the anchor)]) of the shipped plans."""
    from kiosk.config.care_plans import load_plans
    return [(plan.id, [(i.code, i.earliest, i.due, i.latest) for i in plan.items])
            for plan in load_plans().values()]


class _Year:
    def __init__(self, station_id: str, year: int, seed: int, signer: object | None):
        self.station_id, self.year, self.signer = station_id, year, signer
        self.rng = random.Random(f"{station_id}/{seed}")
        self.plans = _plans()
        self.seq, self.prev, self.mono = 0, GENESIS_HASH, 1_000_000
        self.now = dt.datetime(year - 1, 12, 31, 16, 0, tzinfo=dt.UTC)  # 00:00 1 Jan in Shanghai
        self.residents: list[str] = []
        self.open_items: list[tuple[str, str, str]] = []  # (item id, plan, resident)
        self.visits: list[dict] = []
        self.checkins: list[dict] = []
        self.queue_no = 0
        self.today = ""

    def event(self, type_: str, payload: dict) -> Event:
        self.seq += 1
        self.mono += 1_000
        wall = self.now.isoformat(timespec="microseconds").replace("+00:00", "Z")
        unsigned = Event(v=FORMAT_VERSION, id=str(uuid.UUID(int=self.rng.getrandbits(128))),
                         station_id=self.station_id, seq=self.seq, type=type_, payload=payload,
                         wall_time=wall, boot_id="bench-boot", mono_ns=self.mono,
                         prev_hash=self.prev)
        body = canonical_json(unsigned.body())
        digest = hashlib.sha256(body).hexdigest()
        signature = self.signer.sign(body).hex() if self.signer is not None else ""  # type: ignore[attr-defined]
        self.prev = digest
        return Event(**{**asdict(unsigned), "hash": digest, "signature": signature})

    def run(self, count: int) -> Iterator[Event]:
        yield self.event("station.initialized", {"station_id": self.station_id,
                                                 "software": "kiosk bench", "public_key": ""})
        names, weights = zip(*ACTIONS, strict=True)
        seconds = 365 * 86400 / max(count, 1)
        end = dt.datetime(self.year, 12, 31, 15, 59, tzinfo=dt.UTC)
        while self.seq < count:
            self.now = min(self.now + dt.timedelta(seconds=self.rng.uniform(0.2, 1.8) * seconds), end)
            day = (self.now + dt.timedelta(hours=8)).date().isoformat()
            if day != self.today:
                self.today, self.queue_no, self.checkins = day, 0, []
            yield from getattr(self, self.rng.choices(names, weights)[0])()

    def _id(self, prefix: str) -> str:
        return f"{prefix}-{self.rng.getrandbits(48):012x}"

    def register(self) -> Iterator[Event]:
        resident = self._id("res")
        name = self.rng.choice(SURNAMES) + "".join(self.rng.choices(SURNAMES, k=2))
        at = self.now.isoformat(timespec="seconds")
        yield self.event("resident.registered", {
            "id": resident, "name": name, "birth_date": f"19{self.rng.randint(60, 99)}-0"
            f"{self.rng.randint(1, 9)}-1{self.rng.randint(0, 9)}", "village": self.rng.choice(VILLAGES),
            "consent_at": at, "consent_version": "health-data-consent-v1", "registered_at": at,
            "by": "tech-bench", "phone": {"_station_only": "0" * 64}})
        yield self.event("consent.given", {"by": "tech-bench", "resident_id": resident,
                                           "version": "health-data-consent-v1"})
        self.residents.append(resident)

    def _someone(self) -> str | None:
        return self.rng.choice(self.residents) if self.residents else None

    def check_in(self) -> Iterator[Event]:
        resident = self._someone()
        if resident is None:
            return
        self.queue_no += 1
        payload = {"card_no": "CN" + resident[-8:].upper(), "checkin_id": self._id("chk"),
                   "local_date": self.today, "queue_no": self.queue_no, "resident_id": resident}
        self.checkins.append(payload)
        yield self.event("checkin.created", payload)

    def queue(self) -> Iterator[Event]:
        if self.checkins:
            c = self.rng.choice(self.checkins)
            yield self.event(self.rng.choice(("queue.called", "queue.started", "queue.done")), {
                "at": self.now.isoformat(timespec="microseconds"), "by": "tech-bench",
                "checkin_id": c["checkin_id"], "local_date": self.today,
                "queue_no": c["queue_no"], "room": "room1"})

    def enrol(self) -> Iterator[Event]:
        resident = self._someone()
        if resident is None:
            return
        plan, items = self.rng.choice(self.plans)
        anchor = dt.date.fromisoformat(self.today) - dt.timedelta(days=self.rng.randint(0, 60))
        enrolment = self._id("enr")
        shown = [{"code": code, "id": f"{enrolment}-{code}",
                  "earliest": (anchor + dt.timedelta(days=e)).isoformat(),
                  "due": (anchor + dt.timedelta(days=d)).isoformat(),
                  "latest": (anchor + dt.timedelta(days=lt)).isoformat()}
                 for code, e, d, lt in items]
        self.open_items += [(i["id"], plan, resident) for i in shown]
        yield self.event("care.enrolled", {"anchors": {"_station_only": "0" * 64}, "by": "tech-bench",
                                           "enrolment_id": enrolment, "items": shown, "plan": plan,
                                           "resident_id": resident})

    def visit(self) -> Iterator[Event]:
        if not self.open_items:
            return
        item_id, plan, resident = self.open_items.pop(self.rng.randrange(len(self.open_items)))
        payload = {"corrects": None, "id": self._id("vis"), "item_id": item_id,
                   "logged_at": self.now.isoformat(timespec="seconds"), "logged_by": "tech-bench",
                   "outcome": self.rng.choice(("completed", "completed", "partly_done")),
                   "plan": plan, "resident_id": resident, "visit_date": self.today,
                   "note": {"_station_only": "0" * 64}}
        self.visits.append(payload)
        yield self.event("visit.logged", payload)

    def correct(self) -> Iterator[Event]:
        if self.visits:
            first = self.rng.choice(self.visits)
            yield self.event("visit.corrected", {**first, "id": self._id("vis"),
                                                 "corrects": first["id"],
                                                 "outcome": "completed_referred"})

    def decline(self) -> Iterator[Event]:
        if self.open_items:
            item_id, _plan, resident = self.open_items.pop(self.rng.randrange(len(self.open_items)))
            yield self.event("care_item.declined", {"by": "tech-bench", "item_id": item_id,
                                                    "resident_id": resident})

    def withdraw(self) -> Iterator[Event]:
        resident = self._someone()
        if resident is not None:
            kind = self.rng.choice(("consent.withdrawn", "consent.given"))
            yield self.event(kind, {"by": "tech-bench", "resident_id": resident})

    def view(self) -> Iterator[Event]:
        resident = self._someone()
        if resident is not None:
            yield self.event("record.viewed", {"resident_id": resident,
                                               "technician_id": "tech-bench", "what": "record"})


def station_year(station_id: str, year: int, count: int, seed: int = 0,
                 private_key: bytes | None = None) -> list[Event]:
    """``count`` events of one station over the calendar year (Asia/Shanghai), chained;
    signed with the raw Ed25519 ``private_key`` (None: unsigned)."""
    signer = None
    if private_key is not None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        signer = Ed25519PrivateKey.from_private_bytes(private_key)
    return list(_Year(station_id, year, seed, signer).run(count))


def _make(args: tuple[str, int, int, int, bytes, str]) -> str:
    station_id, year, count, seed, key, path = args
    events = station_year(station_id, year, count, seed, key)
    partial = f"{path}.{os.getpid()}.part"
    with open(partial, "w", encoding="utf-8") as out:
        for event in events:
            out.write(json.dumps(asdict(event), ensure_ascii=False) + "\n")
    os.replace(partial, path)
    return path


def cached_years(stations: dict[str, bytes], year: int, count: int, directory: Path,
                 workers: int | None = None) -> dict[str, Path]:
    """Each station's signed year (station id -> raw private key) as a JSON-lines file under
    ``directory``, made in a process pool the first time and read from there afterwards.
    The file's name holds the station, the year, the count and the key's fingerprint."""
    directory.mkdir(parents=True, exist_ok=True)
    paths, todo = {}, []
    for n, (station_id, key) in enumerate(sorted(stations.items())):
        tag = hashlib.sha256(key).hexdigest()[:12]
        path = directory / f"{station_id}-{year}-{count}-{tag}.jsonl"
        paths[station_id] = path
        if not path.exists():
            todo.append((station_id, year, count, n, key, str(path)))
    if todo:
        with ProcessPoolExecutor(workers or os.cpu_count() or 1) as pool:
            list(pool.map(_make, todo))
    return paths


def read_year(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)
