"""County ingest: signed events from many stations over HTTP on loopback.

Run from the repository root with the test environment's Python:
    .venv/bin/python bench/county_ingest.py [--quick]

Starts a real `kiosk-county serve` process, enrols 10
simulated stations and pushes 100,000 signed, chained events (10,000 each) in
batches of at most 500 events and 256 KiB, ten stations in parallel. In the same run it measures the
raw single-core Ed25519 verify rate, which bounds what any receiver can do,
and how long a station's 10,000-event backlog takes to catch up through the
real sync worker. The ingest runs once on SQLite and once on PostgreSQL (a
private server, see kiosk/county/pg_harness.py). --quick uses 20,000 events
and a 2,000-event backlog.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from kiosk.adapters.clock import FakeClock  # noqa: E402
from kiosk.domain.events import ChainHead  # noqa: E402
from kiosk.domain.unit_of_work import EventFactory  # noqa: E402
from kiosk.keys import StationKey  # noqa: E402

STATIONS = 10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def county(data_dir: Path, *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "kiosk.county", "--data-dir", str(data_dir),
                           *args], check=True, capture_output=True, text=True).stdout


def serve(data_dir: Path, port: int, extra: list[str]) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.county", "--data-dir", str(data_dir),
                             *extra, "serve", "--port", str(port), "--threads", "4"],
                            stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("county did not start")


def make_events(station_id: str, key: StationKey, count: int) -> list[dict]:
    factory, head, events = EventFactory(station_id, key, FakeClock()), ChainHead(), []
    for n in range(count):
        event = factory.next(head, "checkin.created", {"queue_no": n % 80 + 1,
                                                       "resident_id": f"res-{n:06d}"})
        head = ChainHead(event.seq, event.hash)
        events.append(vars(event))
    return events


def batches(events: list[dict]) -> list[list[dict]]:
    """At most 500 events and 256 KiB per batch, exactly as the station's sync worker cuts them."""
    from kiosk.protocol.sync import take_batch
    out = []
    while events:
        out.append(take_batch(events))
        events = events[len(out[-1]):]
    return out


def post(port: int, station_id: str, batch: list[dict]) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/stations/{station_id}/events",
        data=json.dumps({"events": batch}, ensure_ascii=False).encode(), method="POST",
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert json.load(response)["seq"] == batch[-1]["seq"]


def verify_rate(seconds: float = 2.0) -> float:
    key = Ed25519PrivateKey.generate()
    public, message = key.public_key(), b"x" * 400
    signature = key.sign(message)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(200):
            public.verify(signature, message)
        count += 200
    return count / (time.perf_counter() - started)


def backlog_catchup(data_dir: Path, port: int, county_public: str, events: int,
                    extra: list[str]) -> float:
    from kiosk.adapters.county import HttpCountyLink
    from kiosk.bootstrap import build_core
    from kiosk.config.loader import load_config
    from kiosk.keys import generate_key_file, public_key_from_hex
    from kiosk.sync.worker import SyncWorker
    from kiosk.testing.station import write_station_config
    config = load_config(write_station_config(data_dir / "station", None, "backlog-station"))
    generate_key_file(config.station.key_file, force=True)
    core = build_core(config)
    with core.uow() as uow:
        for n in range(events - 1):
            uow.record("checkin.created", {"n": n})
        uow.commit()
    county(data_dir / "county", *extra, "enroll", "--station", "backlog-station",
           "--pubkey", core.key.public_bytes().hex())
    worker = SyncWorker(core.writer, HttpCountyLink(f"http://127.0.0.1:{port}"), "backlog-station",
                        public_key_from_hex(county_public))
    started = time.perf_counter()
    state = worker.push_pending()
    elapsed = time.perf_counter() - started
    assert state.backlog == 0 and state.acked_seq == events
    core.close()
    return elapsed


def ingest(data_dir: Path, database: str | None, per_station: int,
           backlog: int) -> tuple[float, float | None]:
    """(events/s over HTTP, backlog catch-up seconds or None) for one county backend."""
    extra = ["--database", database] if database else []
    county_public = county(data_dir, *extra, "init").split("public key (hex): ")[1].strip()
    stations = {}
    for n in range(STATIONS):
        key = StationKey(Ed25519PrivateKey.generate())
        station_id = f"sim-station-{n:02d}"
        county(data_dir, *extra, "enroll", "--station", station_id,
               "--pubkey", key.public_bytes().hex())
        stations[station_id] = make_events(station_id, key, per_station)
    port = free_port()
    proc = serve(data_dir, port, extra)
    try:
        errors: list[BaseException] = []

        def push_all(station_id: str) -> None:
            try:
                for batch in batches(stations[station_id]):
                    post(port, station_id, batch)
            except BaseException as exc:  # reported below: a failed push voids the figure
                errors.append(exc)

        threads = [threading.Thread(target=push_all, args=(s,)) for s in stations]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rate = STATIONS * per_station / (time.perf_counter() - started)
        if errors:
            raise SystemExit(f"push failed: {errors[0]!r}")
        catchup = (backlog_catchup(data_dir.parent, port, county_public, backlog, extra)
                   if not database else None)
    finally:
        proc.terminate()
        proc.wait(10)
    return rate, catchup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 events (under a minute)")
    args = parser.parse_args()
    per_station = 2_000 if args.quick else 10_000
    backlog = 2_000 if args.quick else 10_000
    base = Path(tempfile.mkdtemp(prefix="kiosk-ingest-"))
    sqlite_eps, catchup = ingest(base / "county", None, per_station, backlog)
    from kiosk.testing.postgres import PostgresHarness
    postgres = PostgresHarness()
    try:
        postgres.start()
        postgres_eps, _ = ingest(base / "county-pg", postgres.new_database("ingest"),
                                 per_station, backlog)
    finally:
        postgres.stop()
    raw = verify_rate()
    print(f"events: {STATIONS * per_station} from {STATIONS} stations; backlog {backlog}; "
          f"cores {os.cpu_count()}")
    print(f"figure: ingest_sqlite_eps = {sqlite_eps:.0f} events/s")
    print(f"figure: ingest_postgres_eps = {postgres_eps:.0f} events/s")
    print(f"figure: ed25519_verify_per_s = {raw:.0f} verifies/s")
    print(f"figure: ingest_ratio_sqlite = {sqlite_eps / raw:.2f} ratio")
    if args.quick:
        print("(quick mode: the backlog figure below is for 2,000 events, not 10,000)")
    print(f"figure: backlog_10k_catchup_s = {catchup:.1f} s")


if __name__ == "__main__":
    main()
