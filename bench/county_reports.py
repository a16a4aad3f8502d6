"""County service reports at scale: ingest with the read models on, publishing, and the pages.

Run from the repository root with the test environment's Python:
    .venv/bin/python bench/county_reports.py [--quick]

100 stations, 10,000 signed events each over the calendar year 2026 (1,000,000 events:
registrations with consent, check-ins and queue moves, enrolments in the shipped care plans,
visits, corrections, declines; kiosk/testing/county_year.py). Each station's year is signed
once, in a process pool, and kept under /tmp/kiosk-bench-county-year/ for later runs.

For SQLite and then a private PostgreSQL (kiosk/testing/postgres.py):
- ingest: every batch (at most 500 events and 256 KiB, the stations' batches interleaved) as
  the station API takes it: the JSON body parsed, then BatchIntake (each event's hash and
  signature checked on the pushing thread, then on the store's one writer: judge the chain,
  store, roster rules, the report read models, one transaction). The pushes come from
  ``--pushers`` threads at once (4: the request threads of ``kiosk-county serve``), each
  pushing its own stations' batches in turn, as stations push to a county; ``--pushers 1``
  is one push after another. Its rate is given as a ratio to the raw Ed25519 verify rate
  measured in the same run on one core, and (``_all_cores``) on every core of the machine;
- publishing: the year's suppressed report made from the read models (the worker's job
  under kiosk-county serve);
- pages: an officer signed in, the overview and random station pages through the county
  app (Flask's test client: routing, session, audit entry, rendering), p95 of each.
--quick: 10 stations x 1,000 events; --sqlite-only: skip PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

# Everything imported now: a long run is not mixed with code edited while it runs.
from kiosk.adapters.clock import FakeClock  # noqa: E402
from kiosk.county.bootstrap import open_store_at, report_settings, wire  # noqa: E402
from kiosk.county.domain.intake import Stored  # noqa: E402
from kiosk.county.services import WebSettings  # noqa: E402
from kiosk.county.web.app import create_county_app  # noqa: E402
from kiosk.domain.events import Event, canonical_json  # noqa: E402
from kiosk.keys import StationKey  # noqa: E402
from kiosk.protocol.sync import parse_batch, take_batch  # noqa: E402
from kiosk.testing.county_year import cached_years, read_year  # noqa: E402
from kiosk.testing.postgres import PostgresHarness  # noqa: E402

YEAR = 2026
CACHE = Path(tempfile.gettempdir()) / "kiosk-bench-county-year"
PASSWORD = "bench officer password"


def station_keys(stations: int) -> dict[str, bytes]:
    """Fixed keys, so that a later run finds the signed years in the cache."""
    return {f"bench-{n:03d}": hashlib.sha256(f"kiosk-bench-reports/{n}".encode()).digest()
            for n in range(stations)}


def public_hex(private: bytes) -> str:
    return StationKey(Ed25519PrivateKey.from_private_bytes(private)).public_bytes().hex()


def verify_rate(paths: dict[str, Path], keys: dict[str, bytes], seconds: float = 3.0
                ) -> tuple[float, float]:
    """Raw Ed25519 verifies per second on one core, over real events' signed bodies (and per
    CPU second: the machine may be shared)."""
    station = sorted(paths)[0]
    public = Ed25519PrivateKey.from_private_bytes(keys[station]).public_key()
    sample = []
    for n, raw in enumerate(read_year(paths[station])):
        event = Event(**raw)
        sample.append((bytes.fromhex(event.signature), canonical_json(event.body())))
        if n == 999:
            break
    count, started, started_cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        for signature, body in sample:
            public.verify(signature, body)
        count += len(sample)
    return count / (time.perf_counter() - started), count / (time.process_time() - started_cpu)


def verify_rate_all_cores(paths: dict[str, Path], keys: dict[str, bytes], seconds: float
                          ) -> float:
    """Raw Ed25519 verifies per second with one thread per core (verify releases the GIL)."""
    cores = os.cpu_count() or 1
    with ThreadPoolExecutor(cores) as pool:
        rates = list(pool.map(lambda _: verify_rate(paths, keys, seconds)[0], range(cores)))
    return sum(rates)


def bodies(path: Path) -> Iterator[bytes]:
    """The station's pushes as it sends them: batches cut by the sync worker's rule."""
    pending: list[dict] = []
    for raw in read_year(path):
        pending.append(raw)
        if len(pending) >= 600:
            batch = take_batch(pending)
            pending = pending[len(batch):]
            yield json.dumps({"events": batch}, ensure_ascii=False).encode()
    while pending:
        batch = take_batch(pending)
        pending = pending[len(batch):]
        yield json.dumps({"events": batch}, ensure_ascii=False).encode()


def open_county(database: str, keys: dict[str, bytes]):
    clock = FakeClock(dt.datetime(YEAR, 12, 31, 8, 0, tzinfo=dt.UTC))
    store = open_store_at(database, clock)
    for station, private in keys.items():
        store.enroll(station, public_hex(private), f"{YEAR - 1}-12-01T00:00:00.000000Z")
    services = wire(store, StationKey(Ed25519PrivateKey.generate()), clock,
                    WebSettings(secure_cookies=False), reports=report_settings())
    return store, services


def ingest(services, store, paths: dict[str, Path], pushers: int) -> tuple[float, float]:
    """(events per second, per CPU second of this process) through the intake, from
    ``pushers`` threads, each taking its stations' batches in turn. Only the county's work
    is timed (parsing the body, the checks, the intake transaction): the cached years are
    read and cut into pushes before the clock starts."""
    prepared = {station: list(bodies(path)) for station, path in sorted(paths.items())}
    stations = sorted(prepared)

    def push(group: list[str]) -> int:
        streams = {station: iter(prepared[station]) for station in group}
        events = 0
        while streams:
            for station in list(streams):
                body = next(streams[station], None)
                if body is None:
                    del streams[station]
                    continue
                batch = parse_batch(json.loads(body))
                outcome = services.intake.receive(store.station(station), batch, None)
                assert isinstance(outcome, Stored), outcome
                events += len(batch)
        return events

    groups = [stations[n::pushers] for n in range(pushers)]
    started, started_cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(pushers) as pool:
        events = sum(pool.map(push, groups))
    wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    return events / wall, events / cpu


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def pages(services, stations: list[str], requests: int, add_officer: bool = True
          ) -> tuple[float, float, float, int]:
    """(publish seconds, overview p95 ms, station page p95 ms, published cells)."""
    started = time.perf_counter()
    services.reports.refresh()
    published = time.perf_counter() - started
    if add_officer:
        services.users.add("console", "bench.officer", "officer", PASSWORD)
    client = create_county_app(services).test_client()
    client.get("/login")
    with client.session_transaction() as session:
        token = session["csrf_token"]
    answer = client.post("/login", data={"name": "bench.officer", "password": PASSWORD,
                                         "csrf_token": token})
    assert answer.status_code == 302, answer.status_code
    rng = random.Random(1)
    timings: dict[str, list[float]] = {"overview": [], "station": []}
    for n in range(requests + 1):
        for kind, path in (("overview", "/reports"),
                           ("station", f"/reports/stations/{rng.choice(stations)}")):
            started = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200 and b"report-chart" in response.data, path
            if n:  # the first of each loads the stored report into memory
                timings[kind].append(elapsed)
    cells = len(services.reports.published(YEAR).report.cells)
    return published, p95(timings["overview"]), p95(timings["station"]), cells


def run(database: str, keys: dict[str, bytes], paths: dict[str, Path], requests: int,
        verify_s: float, pushers: int) -> dict:
    """One backend: ingest between two measures of the raw verify rate (their mean is the
    rate the ingest is compared with: a shared machine's load moves both), then the pages."""
    store, services = open_county(database, keys)
    try:
        before = verify_rate(paths, keys, verify_s)
        all_cores = verify_rate_all_cores(paths, keys, verify_s)
        eps, eps_cpu = ingest(services, store, paths, pushers)
        after = verify_rate(paths, keys, verify_s)
        all_cores = (all_cores + verify_rate_all_cores(paths, keys, verify_s)) / 2
        print(f"({database.split('@')[-1]}: ingest {eps:.0f} events/s)", file=sys.stderr, flush=True)
        published, overview, station, cells = pages(services, sorted(keys), requests)
    finally:
        store.close()
    return {"eps": eps, "eps_cpu": eps_cpu, "verify": (before[0] + after[0]) / 2,
            "verify_all_cores": all_cores, "pushers": pushers,
            "verify_cpu": (before[1] + after[1]) / 2, "publish": published,
            "overview": overview, "station": station, "cells": cells}


def pages_only(database: str, requests: int) -> None:
    clock = FakeClock(dt.datetime(YEAR, 12, 31, 8, 0, tzinfo=dt.UTC))
    store = open_store_at(database, clock)
    try:
        services = wire(store, StationKey(Ed25519PrivateKey.generate()), clock,
                        WebSettings(secure_cookies=False), reports=report_settings())
        if services.store.user_by_name("bench.officer") is None:
            services.users.add("console", "bench.officer", "officer", PASSWORD)
        published, overview, station, cells = pages(services, [s.id for s in store.stations()],
                                                    requests, add_officer=False)
    finally:
        store.close()
    print(f"figure: report_publish_s = {published:.1f} s ({cells} cells)")
    print(f"figure: overview_p95_ms = {overview:.0f} ms")
    print(f"figure: station_page_p95_ms = {station:.0f} ms")


def backend_figures(name: str, r: dict) -> None:
    print(f"figure: ed25519_verify_per_s_{name} = {r['verify']:.0f} verifies/s "
          f"(mean of before and after its ingest)")
    print(f"figure: ed25519_verify_per_s_{name}_all_cores = {r['verify_all_cores']:.0f} "
          f"verifies/s ({os.cpu_count()} threads)")
    print(f"figure: ingest_reports_{name}_eps = {r['eps']:.0f} events/s "
          f"({r['pushers']} pushing threads)")
    print(f"figure: ingest_ratio_{name}_reports = {r['eps'] / r['verify']:.2f} ratio "
          "(to one core's raw verify)")
    print(f"figure: ingest_ratio_{name}_reports_all_cores = "
          f"{r['eps'] / r['verify_all_cores']:.2f} ratio (to every core's raw verify)")
    print(f"figure: report_publish_s_{name} = {r['publish']:.1f} s ({r['cells']} cells)")
    print(f"figure: overview_p95_ms_{name} = {r['overview']:.0f} ms")
    print(f"figure: station_page_p95_ms_{name} = {r['station']:.0f} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 stations x 1,000 events")
    parser.add_argument("--pages", metavar="DATABASE",
                        help="only publish and time the pages, on a county this bench filled "
                             "before (an SQLite path or a postgresql:// URL)")
    parser.add_argument("--pushers", type=int, default=4,
                        help="threads pushing at once (default 4: kiosk-county serve's request "
                             "threads; 1: one push after another)")
    parser.add_argument("--sqlite-only", action="store_true",
                        help="skip PostgreSQL (its full run takes half an hour on 2 cores)")
    args = parser.parse_args()
    if args.pages:
        pages_only(args.pages, 40)
        return
    stations, per_station, requests = (10, 1_000, 20) if args.quick else (100, 10_000, 40)
    keys = station_keys(stations)
    started = time.perf_counter()
    paths = cached_years(keys, YEAR, per_station, CACHE)
    print(f"events: {stations * per_station} from {stations} stations over {YEAR} "
          f"(signed years ready in {time.perf_counter() - started:.0f} s); cores {os.cpu_count()}")
    base = Path(tempfile.mkdtemp(prefix="kiosk-reports-"))
    verify_s = 1.5 if args.quick else 5.0
    sqlite = run(str(base / "county.db"), keys, paths, requests, verify_s, args.pushers)
    backend_figures("sqlite", sqlite)  # now: a full run's PostgreSQL half takes long
    if args.sqlite_only:
        return
    postgres = PostgresHarness()
    try:
        postgres.start()
        pg = run(postgres.new_database("reports"), keys, paths, requests, verify_s, args.pushers)
    finally:
        postgres.stop()
    backend_figures("postgres", pg)
    print(f"figure: ingest_ratio_sqlite_reports_cpu = "
          f"{sqlite['eps_cpu'] / sqlite['verify_cpu']:.2f} ratio (per CPU second; the "
          "PostgreSQL server's CPU is not this process's)")
    print(f"figure: overview_p95_ms = {max(sqlite['overview'], pg['overview']):.0f} ms "
          f"(SQLite {sqlite['overview']:.0f}, PostgreSQL {pg['overview']:.0f})")
    print(f"figure: station_page_p95_ms = {max(sqlite['station'], pg['station']):.0f} ms "
          f"(SQLite {sqlite['station']:.0f}, PostgreSQL {pg['station']:.0f})")
    if args.quick:
        print("(quick mode: 10 stations x 1,000 events, not 100 x 10,000)")


if __name__ == "__main__":
    main()
