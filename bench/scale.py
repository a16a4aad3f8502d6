"""Scale: a county-sized station database, and how fast the kiosk still answers.

Run from the repository root with the test environment's Python:
    .venv/bin/python bench/scale.py [--quick] [--keep DIR]

Generates 100,000 residents (each with a signed MIFARE card record), 300,000
care-plan items (100,000 enrolments) and 1,000,000 visits, each with its
signed, hash-chained event as the station would have written it (1.5 million
events). --quick uses a tenth of that. Then measures:

* card_lookup_p99_ms: a tap's identification - verify the card record's
  signature, look up its number, load the resident - in a unit of work;
* due_list_first_page_ms: the slowest first page (p95) of the due, overdue
  and next-7-days lists, with and without a village filter;
* record_page_ms: server time (p95) of a technician opening a resident's
  record page, audit event included (synchronous=FULL);
* db_size_mb: the SQLite file after a checkpoint.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk.bootstrap import build_core  # noqa: E402
from kiosk.config.loader import load_config  # noqa: E402
from kiosk.domain.card_records import CardRecord, sign_record  # noqa: E402
from kiosk.domain.cards import uid_hash  # noqa: E402
from kiosk.domain.events import canonical_json  # noqa: E402
from kiosk.domain.model import ReadCard, local_date  # noqa: E402
from kiosk.keys import generate_key_file  # noqa: E402
from kiosk.testing.station import write_station_config  # noqa: E402

VILLAGES = [f"{name}村" for name in "东西南北上下前后大小新老"]
PLANS = ["prenatal", "iud-followup", "contraceptive-supply"]
BATCH = 20_000


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Writer:
    """Appends state rows and their signed events in large transactions."""

    def __init__(self, core):
        self.core, self.db = core, core.db
        self.head = core.uow().events.head()
        self.events: list[tuple] = []

    def event(self, type_: str, payload: dict) -> None:
        event = self.core.events.next(self.head, type_, payload)
        self.head = type(self.head)(event.seq, event.hash)
        self.events.append((event.seq, event.id, event.v, event.station_id, event.type,
                            canonical_json(event.payload).decode(), event.wall_time,
                            event.boot_id, event.mono_ns, event.prev_hash, event.hash,
                            event.signature))

    def flush(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        marks = ", ".join("?" * len(columns))
        with self.db.conn:
            self.db.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) "
                                     f"VALUES ({marks})", rows)
            self.db.conn.executemany(f"INSERT INTO events VALUES ({', '.join('?' * 12)})",
                                     self.events)
        self.events = []


def generate(core, residents: int, items_per: int, visits: int, rng: random.Random):
    writer, today = Writer(core), local_date(core.clock.now(), core.config.station.timezone)
    station, key, cards = core.config.station.id, core.key, []
    for start in range(0, residents, BATCH):
        people, issued = [], []
        for n in range(start, min(start + BATCH, residents)):
            rid = f"res-{n:07d}"
            row = (rid, f"居民{n}", f"19{rng.randint(60, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                   rng.choice(VILLAGES), f"138{n:08d}", "health-data-consent-v1",
                   "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00")
            people.append(row)
            writer.event("resident.registered", {"id": rid, "name": row[1], "birth_date": row[2],
                                                 "village": row[3], "phone": row[4],
                                                 "by": "bench"})
        writer.flush("residents", ("id", "name", "birth_date", "village", "phone",
                                   "consent_version", "consent_at", "registered_at"), people)
        for rid, *_ in people:
            uid = bytes([0x04]) + rng.randbytes(6)
            record = CardRecord(f"B{int(rid[4:]):09d}", "resident", uid, 1767225600, station)
            data = sign_record(record, key)
            if len(cards) < 5000:
                cards.append((uid, data))
            issued.append((record.card_no, "resident", rid, uid_hash(uid), "mifare",
                           "2026-01-01T00:00:00+00:00", "bench"))
            writer.event("card.issued", {"card_no": record.card_no, "role": "resident",
                                         "holder_id": rid, "uid_hash": uid_hash(uid),
                                         "kind": "mifare", "by": "bench"})
        writer.flush("issued_cards", ("card_no", "role", "holder_id", "uid_hash", "kind",
                                      "issued_at", "issued_by"), issued)
    item_ids = []
    for start in range(0, residents, BATCH):
        enrolments, items = [], []
        for n in range(start, min(start + BATCH, residents)):
            rid, eid = f"res-{n:07d}", f"enr-{n:07d}"
            anchor = today - dt.timedelta(days=rng.randint(-30, 330))
            plan = PLANS[n % len(PLANS)]
            enrolments.append((eid, rid, plan, "enrolled", json.dumps({"anchor": str(anchor)}),
                               "2026-01-01T00:00:00+00:00", "bench"))
            listed = []
            for k in range(items_per):
                due = anchor + dt.timedelta(days=30 + 60 * k)
                iid = f"{eid}-{k}"
                items.append((iid, rid, plan, f"随访 {k + 1} Follow-up {k + 1}",
                              str(due - dt.timedelta(days=7)), str(due),
                              str(due + dt.timedelta(days=14)), eid, str(k)))
                item_ids.append((iid, rid))
                listed.append({"id": iid, "due": str(due)})
            writer.event("care.enrolled", {"enrolment_id": eid, "resident_id": rid, "plan": plan,
                                           "items": listed, "by": "bench"})
        with core.db.conn:
            core.db.conn.executemany("INSERT INTO enrolments VALUES (?, ?, ?, ?, ?, ?, ?)",
                                     enrolments)
        writer.flush("care_plan_items", ("id", "resident_id", "plan", "title", "earliest", "due",
                                         "latest", "enrolment_id", "code"), items)
    for start in range(0, visits, BATCH):
        rows = []
        for n in range(start, min(start + BATCH, visits)):
            iid, rid = item_ids[rng.randrange(len(item_ids))]
            day = str(today - dt.timedelta(days=rng.randint(0, 700)))
            vid = f"vis-{n:08d}"
            rows.append((vid, iid, rid, day, "completed", "常规随访", None, "bench",
                         "2026-01-01T00:00:00+00:00"))
            writer.event("visit.logged", {"id": vid, "item_id": iid, "resident_id": rid,
                                          "visit_date": day, "outcome": "completed",
                                          "logged_by": "bench"})
        writer.flush("visits", ("id", "item_id", "resident_id", "visit_date", "outcome", "note",
                                "next_appointment", "logged_by", "logged_at"), rows)
    with core.db.conn:  # a third of the items are done
        core.db.execute("UPDATE care_plan_items SET done_on = due WHERE rowid % 3 = 0")
    core.db.execute("ANALYZE")
    return cards


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the data (under a minute)")
    parser.add_argument("--keep", help="build the database in this directory and keep it")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    residents, visits = 100_000 // scale, 1_000_000 // scale
    rng = random.Random(29)
    directory = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="kiosk-scale-"))
    config_path = write_station_config(directory, None, station_id="bench-station")
    config = load_config(config_path)
    if config.station.database.exists():
        config.station.database.unlink()
    generate_key_file(config.station.key_file, force=True)
    core = build_core(config)
    started = time.monotonic()
    cards = generate(core, residents, 3, visits, rng)
    counts = {t: core.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("residents", "care_plan_items", "visits", "events")}
    print(f"generated in {time.monotonic() - started:.0f} s: " +
          ", ".join(f"{v} {k}" for k, v in counts.items()), flush=True)

    lookups = []
    for uid, data in rng.sample(cards, min(2000, len(cards))):
        t0 = time.perf_counter()
        with core.uow() as uow:
            holder = core.desk.identify(uow, ReadCard(uid, "mifare", data))
            assert uow.residents.get(holder.holder_id) is not None
        lookups.append((time.perf_counter() - t0) * 1000)

    from kiosk.store import queries
    from kiosk.store.database import connect_readonly as connect
    read = connect(config.station.database)
    today = local_date(core.clock.now(), config.station.timezone)
    list_times = {}
    for which in queries.LISTS:
        for village in ("", VILLAGES[3]):
            runs = []
            for _ in range(15):
                t0 = time.perf_counter()
                found = queries.work_list(read, which, today, village)
                runs.append((time.perf_counter() - t0) * 1000)
            list_times[f"{which}{'/' + village if village else ''}"] = (pct(runs, 95), found.total)

    page_times = record_page_times(core, residents, rng)
    core.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size_mb = config.station.database.stat().st_size / 1e6
    for name, (ms, total) in list_times.items():
        print(f"list {name}: p95 {ms:.1f} ms ({total} rows)")
    print(f"figure: card_lookup_p99_ms = {pct(lookups, 99):.2f} ms")
    print(f"figure: due_list_first_page_ms = {max(ms for ms, _ in list_times.values()):.1f} ms")
    print(f"figure: record_page_ms = {pct(page_times, 95):.1f} ms")
    print(f"figure: db_size_mb = {size_mb:.0f} MB")
    print(f"card lookup p50 {statistics.median(lookups):.2f} ms; record page p50 "
          f"{statistics.median(page_times):.1f} ms; database {config.station.database}")
    read.conn.close()
    core.close()


def record_page_times(core, residents: int, rng: random.Random) -> list[float]:
    """Server time of GET /staff/residents/<id> for a logged-in technician."""
    from kiosk.station.hub import ScreenHub
    from kiosk.station.services import StationServices
    from kiosk.station.staff_desk import StaffDesk
    from kiosk.web import create_app
    from kiosk.web.guard import COOKIE
    tech = core.staff.add("基准技术员", "246813", by="bench")
    desk, hub = StaffDesk(3600), ScreenHub()
    app = create_app(hub, {"TIMEZONE": core.config.station.timezone},
                     services=StationServices(core, desk, hub))
    client = app.test_client()
    session = desk.open_session(tech.id, tech.name)
    client.set_cookie(COOKIE, session.token)
    times = []
    for _ in range(120):
        rid = f"res-{rng.randrange(residents):07d}"
        t0 = time.perf_counter()
        response = client.get(f"/staff/residents/{rid}")
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.status_code
    return times[20:]  # the first requests warm Jinja's template cache


if __name__ == "__main__":
    main()
