"""The roster by home station (issue 24): what one station pulls from a county-sized county,
before and after, and how fast a visitor is looked up.

Run from the repository root with the test environment's Python:
    .venv/bin/python bench/roster.py [--quick]

Builds a county (SQLite, in-process intake: roster rules and read models as a push stores
them) of 100,000 residents over 14 stations, each registered with consent, a signed card and
an enrolment in a four-item plan, one in twenty with a visit at another station, one in fifty
with her card revoked (about 330,000 signed events); --quick uses 7,000 residents. Then, for one
station that pulls from the start into its own database:

* roster_rows_per_station / _before: entries its roster pull applies now (its residents' news
  from other stations, revoked card numbers) and what the feed gave before (every other
  station's shared entry, each applied);
* roster_pull_s / _before: the time of that pull, the county's pages and the station's unit of
  work per page, in one process;
* visitor_lookup_p95_ms: a visitor lookup over HTTP on loopback (a signed request, the card's
  record and tap checked, her record read and signed, the answer checked), p95 of 200.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from kiosk.adapters.clock import FakeClock  # noqa: E402
from kiosk.domain.card_records import CardRecord, sign_record  # noqa: E402
from kiosk.domain.events import ChainHead  # noqa: E402
from kiosk.domain.unit_of_work import EventFactory  # noqa: E402
from kiosk.keys import StationKey  # noqa: E402

STATIONS = 14
ME = "station-07"  # the station that pulls
START = dt.datetime(2026, 11, 1, 1, 0, tzinfo=dt.UTC)


class Chain:
    def __init__(self, station_id: str, clock: FakeClock, key: StationKey | None = None):
        self.id, self.key = station_id, key or StationKey(Ed25519PrivateKey.generate())
        self.factory, self.head, self.events = EventFactory(station_id, self.key, clock), ChainHead(), []
        self.written = 0

    def add(self, type_: str, payload: dict) -> None:
        event = self.factory.next(self.head, type_, payload)
        self.head = ChainHead(event.seq, event.hash)
        self.events.append(event)
        self.written += 1


def build_county(store, residents: int, rng: random.Random, my_key: StationKey):
    """The stations' chains, pushed through the county's intake in three rounds (registrations
    and cards, visits elsewhere, revocations: what a lookup needs is at the county first); the
    cards of station-00's residents (card number, record): visitors for ME to look up."""
    from kiosk.county.bootstrap import wire
    from kiosk.county.domain.visitors import RosterPolicy
    clock = FakeClock(START)
    chains = {f"station-{n:02d}": Chain(f"station-{n:02d}", clock,
                                        my_key if f"station-{n:02d}" == ME else None)
              for n in range(STATIONS)}
    for chain in chains.values():
        store.enroll(chain.id, chain.key.public_bytes().hex(), "2026-10-01T00:00:00.000000Z")
    county = wire(store, StationKey(Ed25519PrivateKey.generate()), clock,
                  policy=RosterPolicy(lookups_per_minute=10000, lookup_alert_per_day=1000000))
    stations = {s.id: s for s in store.stations()}

    def push() -> None:
        for chain in chains.values():
            for start in range(0, len(chain.events), 500):
                county.intake.receive(stations[chain.id], chain.events[start:start + 500], None)
            chain.events.clear()

    cards, names, later = {}, list(chains), []
    for n in range(residents):
        home = chains[names[n % STATIONS]]
        rid, card_no = f"res-{n:06d}", f"C{n:09d}"
        home.add("resident.registered", {"id": rid, "name": f"居民{n}", "birth_date": "1990-01-01",
                                         "village": "东湾村", "consent_version": "v1",
                                         "consent_at": "2026-10-01", "registered_at": "2026-10-01"})
        record = sign_record(CardRecord(card_no, "resident", n.to_bytes(4, "big"),
                                        int(START.timestamp()), home.id), home.key)
        home.add("card.issued", {"card_no": card_no, "role": "resident", "holder_id": rid,
                                 "uid_hash": "00", "kind": "cpu", "reason": "new", "by": "t"})
        items = [{"id": f"enr-{n}-{k}", "code": f"m{k}", "earliest": "2026-11-01",
                  "due": "2026-11-10", "latest": "2026-11-30"} for k in range(4)]
        home.add("care.enrolled", {"enrolment_id": f"enr-{n}", "resident_id": rid,
                                   "plan": "iud-followup", "anchors": {}, "items": items, "by": "t"})
        if home.id == "station-00":
            cards[card_no] = (rid, record)
        later.append((n, home, rid, card_no, items[0]["id"]))
    push()
    for n, _home, rid, card_no, item in later:
        if rng.random() < 0.05:  # a visit at another station, her card there first
            away = chains[names[(n + 1 + rng.randrange(STATIONS - 1)) % STATIONS]]
            away.add("checkin.created", {"checkin_id": f"ci-{n}", "resident_id": rid,
                                         "local_date": "2026-11-01", "queue_no": 1,
                                         "card_no": card_no})
            away.add("visit.logged", {"id": f"vis-{n}", "item_id": item, "resident_id": rid,
                                      "visit_date": "2026-11-01", "outcome": "completed",
                                      "next_appointment": None, "next_item_id": None})
    push()
    for _n, home, rid, card_no, _item in later:
        if rng.random() < 0.02:
            home.add("card.revoked", {"card_no": card_no, "holder_id": rid, "reason": "lost",
                                      "by": "t"})
            cards.pop(card_no, None)
    push()
    return county, chains, cards


def station_core(directory: Path, county_public: str, key_file: Path):
    """ME's station on a database of its own (its key: ``key_file``), 30 days on."""
    import shutil

    from kiosk.bootstrap import build_core
    from kiosk.config.loader import load_config
    from kiosk.testing.station import write_station_config
    path = write_station_config(directory, None, station_id=ME,
                                extra='\n[county]\nurl = "http://127.0.0.1:1"\n'
                                      f'public_key = "{county_public}"\n')
    config = load_config(path)
    if config.station.key_file != key_file:
        shutil.copy(key_file, config.station.key_file)
        config.station.key_file.chmod(0o600)
    return build_core(config, clock=FakeClock(START + dt.timedelta(days=30)))


class EveryoneFeed:
    """The feed as it was before issue 24: every other station's shared entry, applied."""

    def __init__(self, feed):
        self.feed = feed

    def roster(self, station_id: str, after: str, signer) -> dict:
        from kiosk.protocol import roster as wire
        positions = wire.parse_positions(after)
        rows, reached = self.feed.store.follow(positions, 1000, exclude=station_id)
        entries = [e for e in (wire.entry(None, *row) for row in rows) if e is not None]
        return self.feed._page(station_id, {"after": after, "next": wire.encode_positions(reached),
                                            "entries": entries})


def pull_all(core, link, everyone: bool) -> tuple[int, float]:
    """Pull from the start: (entries the feed gave, seconds); ``everyone``: the station takes
    every resident in them, as stations did before."""
    started, applied, after = time.perf_counter(), 0, ""
    while True:
        page = link.roster(ME, after, core.key)
        if page["next"] == after:
            return applied, time.perf_counter() - started
        with core.uow() as uow:
            admit = frozenset(e["data"].get("id") or e["data"].get("resident_id") or ""
                              for e in page["entries"]) if everyone else frozenset()
            done = uow.roster.apply_entries(page["entries"], ME, core.care.plans,
                                            page["county_time"], admit=admit)
            uow.roster._meta("roster_cursor", page["next"])
            uow.commit()
        applied += len(page["entries"])  # what the feed gave (the rules refused few: done)
        assert len(done.refused) <= len(page["entries"])
        after = page["next"]


class DirectLink:
    def __init__(self, feed):
        self.feed = feed

    def roster(self, station_id: str, after: str, signer) -> dict:
        return self.feed.page(station_id, after)


def lookups(county, core, cards: dict, count: int) -> list[float]:
    """Visitor lookups over HTTP on loopback (a real server thread), timed one by one."""
    from werkzeug.serving import make_server

    from kiosk.adapters.clock import SystemClock
    from kiosk.adapters.county import HttpCountyLink
    from kiosk.county.bootstrap import wire
    from kiosk.county.domain.visitors import RosterPolicy
    from kiosk.county.web.app import create_county_app
    from kiosk.domain.outcomes import VisitorCard
    from kiosk.sync.visitors import Refused, ask
    live = wire(county.store, county.key, SystemClock(),  # station requests carry real time
                policy=RosterPolicy(lookups_per_minute=10000, lookup_alert_per_day=1000000))
    server = make_server("127.0.0.1", 0, create_county_app(live), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    link, times = HttpCountyLink(f"http://127.0.0.1:{server.server_port}"), []
    try:
        for card_no, (_rid, record) in list(cards.items())[:count]:
            tap_seq = core.checkins.visitor_tapped(VisitorCard(card_no, ME, record))
            started = time.perf_counter()
            answer = ask(core, link, county.key.public, card_no, record, tap_seq)
            times.append((time.perf_counter() - started) * 1000)
            assert answer is not None and not isinstance(answer, Refused), answer
    finally:
        server.shutdown()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="7,000 residents instead of 100,000")
    args = parser.parse_args()
    residents = 7_000 if args.quick else 100_000
    import logging
    logging.basicConfig(level=logging.ERROR)  # not a line per refused entry or request
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from kiosk.county.bootstrap import open_store_at
    from kiosk.county.services.roster_feed import RosterFeed
    with tempfile.TemporaryDirectory() as tmp:
        from kiosk.keys import generate_key_file
        key_file = Path(tmp) / "after" / "station.key"
        key_file.parent.mkdir()
        my_key = generate_key_file(key_file)
        store = open_store_at(str(Path(tmp) / "county.db"), FakeClock(START))
        started = time.perf_counter()
        county, chains, cards = build_county(store, residents, random.Random(24), my_key)
        events = sum(c.written for c in chains.values())
        print(f"county of {residents} residents, {events} events over {STATIONS} stations built "
              f"in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        feed = RosterFeed(store, county.key, county.clock, county.roster.policy)
        public = county.key.public_bytes().hex()
        before_core = station_core(Path(tmp) / "before", public, key_file)
        rows_before, seconds_before = pull_all(before_core, EveryoneFeed(feed), everyone=True)
        before_core.close()
        core = station_core(Path(tmp) / "after", public, key_file)
        rows, seconds = pull_all(core, DirectLink(feed), everyone=False)
        times = lookups(county, core, cards, 200)
        core.close()
        store.close()
    print(f"figure: roster_rows_per_station = {rows} rows")
    print(f"figure: roster_rows_per_station_before = {rows_before} rows")
    print(f"figure: roster_pull_s = {seconds:.2f} s")
    print(f"figure: roster_pull_s_before = {seconds_before:.2f} s")
    p95 = statistics.quantiles(times, n=20)[-1]
    print(f"figure: visitor_lookup_p95_ms = {p95:.1f} ms")
    print(f"(visitor lookups: median {statistics.median(times):.1f} ms over {len(times)}; "
          "goal: p95 at most 100 ms)", file=sys.stderr)


if __name__ == "__main__":
    main()
