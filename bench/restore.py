"""Restore: a station rebuilt from the county after its SD card died (issue 14).

Run from the repository root with the test environment's Python:
    .venv/bin/python bench/restore.py [--quick]

Writes a station log of 100,000 signed events (registrations with consent and a card,
check-ins, queue calls, enrolments with their items, visits, record views, the day's end),
pushes all of it to a real `kiosk-county serve` (SQLite) on loopback, enrols a new key as the
successor (`kiosk-county replace`) and times `kiosk restore --from-county` on a fresh
database: every page over HTTP, every hash and signature checked, the tables replayed.
Goal: at most 60 s for 100,000 events. In the same run it measures the raw single-core
Ed25519 verify rate, which bounds the checking part, and the restoring process's own CPU
time (the figure to trust on a loaded machine). --quick uses 20,000 events.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.county_ingest import county, free_port, serve, verify_rate  # noqa: E402
from kiosk.adapters.clock import FakeClock  # noqa: E402

STATION = "bench-restore"


def write_history(core, clock, events: int, rng: random.Random) -> None:
    """Events of the kinds a station writes most, with their real payload shapes, in units of
    work of a day each (the restore reads only events, so no state is written here)."""
    from kiosk.domain.registry import CONSENT_VERSION
    residents: list[str] = []
    items: list[tuple[str, str]] = []
    head = 0
    day = 0
    while head < events:
        clock.advance(days=1)
        day += 1
        date = (dt.date(2026, 1, 1) + dt.timedelta(days=day)).isoformat()
        at = clock.now().isoformat(timespec="seconds")
        with core.uow() as uow:
            for n in range(20):
                rid = f"res-{day:04d}{n:02d}"
                residents.append(rid)
                uow.record("resident.registered", {
                    "id": rid, "name": "王秀华", "birth_date": "1990-03-12", "village": "东湾村",
                    "phone": "13800000000", "national_id_hash": None,
                    "consent_version": CONSENT_VERSION, "consent_at": at, "registered_at": at,
                    "by": "tech-1"})
                uow.record("consent.given", {"resident_id": rid, "version": CONSENT_VERSION,
                                             "by": "tech-1"})
                uow.record("card.issued", {"card_no": f"C{day:04d}{n:02d}", "role": "resident",
                                           "holder_id": rid, "uid_hash": "ab" * 16,
                                           "kind": "mifare", "reason": "new", "by": "tech-1"})
                if n % 4 == 0:
                    eid = f"enr-{day:04d}{n:02d}"
                    plan_items = [{"id": f"{eid}-{c}", "code": c, "earliest": date, "due": date,
                                   "latest": date} for c in ("check-1", "check-2", "check-3")]
                    items += [(i["id"], rid) for i in plan_items]
                    uow.record("care.enrolled", {"enrolment_id": eid, "resident_id": rid,
                                                 "plan": "iud-followup", "items": plan_items,
                                                 "anchors": {"procedure_date": date},
                                                 "by": "tech-1"})
            for queue_no, rid in enumerate(rng.sample(residents, min(60, len(residents))), 1):
                cid = f"chk-{day:04d}-{queue_no:03d}"
                uow.record("checkin.created", {"checkin_id": cid, "resident_id": rid,
                                               "local_date": date, "queue_no": queue_no,
                                               "card_no": None})
                moves = ("queue.called", "queue.started", "queue.done")[:rng.randint(0, 3)]
                for move in moves:
                    uow.record(move, {"checkin_id": cid, "queue_no": queue_no, "local_date": date,
                                      "room": "room1", "at": at, "by": "tech-1"})
                if not moves or moves[-1] != "queue.done":
                    uow.record("queue.not_served", {"checkin_id": cid, "queue_no": queue_no,
                                                    "local_date": date, "room": None, "at": at,
                                                    "by": None})
                uow.record("record.viewed", {"resident_id": rid, "technician_id": "tech-1",
                                             "what": "record"})
            for _ in range(10):
                if items:
                    item, rid = items.pop(rng.randrange(len(items)))
                    uow.record("visit.logged", {
                        "id": f"vis-{item}", "item_id": item, "resident_id": rid,
                        "visit_date": date, "outcome": "completed", "note": "备注",
                        "next_appointment": None, "logged_by": "tech-1", "logged_at": at,
                        "corrects": None, "plan": "iud-followup", "next_item_id": None})
            uow.commit()
        head = core.db.execute("SELECT MAX(seq) FROM events").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 events (under a minute)")
    args = parser.parse_args()
    target = 20_000 if args.quick else 100_000
    from kiosk.adapters.clock import SystemClock
    from kiosk.adapters.county import HttpCountyLink
    from kiosk.bootstrap import build_core
    from kiosk.config.loader import load_config
    from kiosk.keys import generate_key_file, public_key_from_hex
    from kiosk.ops.restore import CountySource, restore
    from kiosk.sync.worker import SyncWorker
    from kiosk.testing.station import write_station_config
    base = Path(tempfile.mkdtemp(prefix="kiosk-restore-"))
    public = county(base / "county", "init").split("public key (hex): ")[1].strip()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    extra = f'\n[county]\nurl = "{url}"\npublic_key = "{public}"\n'
    old = load_config(write_station_config(base / "old", None, STATION, extra=extra))
    generate_key_file(old.station.key_file)
    clock = FakeClock(dt.datetime(2026, 1, 1, 1, 0, tzinfo=dt.UTC))
    core = build_core(old, clock=clock)
    core.db.execute("PRAGMA synchronous=OFF")  # building the history is not what is measured
    write_history(core, clock, target, random.Random(14))
    events = core.db.execute("SELECT MAX(seq) FROM events").fetchone()[0]
    county(base / "county", "enroll", "--station", STATION, "--pubkey", core.key.public_bytes().hex())
    proc = serve(base / "county", port, [])
    try:
        worker = SyncWorker(core.writer, HttpCountyLink(url), STATION, public_key_from_hex(public))
        pushed = time.perf_counter()
        assert worker.push_pending().acked_seq == events
        push_s = time.perf_counter() - pushed
        core.close()
        new = load_config(write_station_config(base / "new", None, STATION, extra=extra))
        key = generate_key_file(new.station.key_file)
        county(base / "county", "replace", "--station", STATION, "--pubkey",
               key.public_bytes().hex())
        started, cpu = time.perf_counter(), time.process_time()
        source = CountySource(HttpCountyLink(url, timeout=120), STATION, key,
                              public_key_from_hex(public))
        report = restore(new, key, source, SystemClock())
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        proc.terminate()
        proc.wait(10)
    assert report.events == events
    raw = verify_rate()
    print(f"events: {events} acknowledged (pushed in {push_s:.1f} s); cores {os.cpu_count()}")
    if args.quick:
        print(f"(quick mode: the restore figure below is for {events} events, not 100,000)")
    print(f"figure: restore_100k_s = {elapsed:.1f} s")
    print(f"figure: restore_events_per_s = {events / elapsed:.0f} events/s")
    print(f"figure: ed25519_verify_per_s = {raw:.0f} verifies/s")
    print(f"figure: restore_ratio_verify = {events / elapsed / raw:.2f} ratio")
    print(f"figure: restore_cpu_s = {cpu:.1f} s")  # the restoring process alone (not the county)
    print(f"load average: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
