"""The demo's twelve months: a year of plausible work at the demo station and two neighbours,
so the county's pages have shape from the first start.

Every event is a real signed one (kiosk/sim/station_year.py), by each station's own key. The
demo station's year is written into its database the way `kiosk restore` rebuilds a station
(kiosk.store.rebuild: the events verbatim, the tables replayed from them). The neighbours exist
only at the county. Every station's log goes to the county through its intake (the judgement,
chain and signature checks and read models a push goes through) in large batches, in-process:
over HTTP, 500 events a push, the demo station's year alone took half a minute. The county's
signed acknowledgement of the demo station's log is kept in its ``sync_acks`` as its sync
keeps one, so from then on the station's own sync pushes what is new (a tap) over loopback HTTP.

All of it is done once: a second start finds the station's log and the county's ``seeded``
mark in the state directory and starts at once (`kiosk demo --reset` begins a new year).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.config.care_plans import load_plans
from kiosk.config.loader import Config
from kiosk.county.domain.clock import stamp
from kiosk.county.domain.intake import Stored
from kiosk.county.services import CountyServices
from kiosk.county.services.intake import SignedPush
from kiosk.demo.county import DemoCounty
from kiosk.demo.data import seed_demo
from kiosk.domain.disclosure import restore
from kiosk.domain.events import Event
from kiosk.keys import StationKey, load_key_file
from kiosk.ports import Ack
from kiosk.protocol.sync import ack_body, sign_ack
from kiosk.sim.station_year import Profile, SimulatedLog, simulate_year
from kiosk.sim.virtual_card import VirtualCard
from kiosk.store.database import first_event
from kiosk.store.rebuild import Rebuild, insert_events, insert_secrets
from kiosk.store.sync_log import events_after, keep_ack
from kiosk.store.writer import Writer

BATCH = 2000  # events in one intake transaction (a station's push holds at most 500)


@dataclass(frozen=True)
class SeededStation:
    id: str
    name: str
    profile: Profile
    seed: int


DEMO_PROFILE = Profile(villages=("东湾村", "西岭村", "南坪村", "北山村"), walk_ins=2.2)
NEIGHBOURS = (
    SeededStation("qingshi-01", "青石镇卫生院", Profile(
        villages=("青石村", "石桥村", "上坝村", "柳湾村"), walk_ins=1.8), seed=11),
    SeededStation("liuhe-01", "柳河乡卫生服务站", Profile(
        villages=("柳河村", "杨家坪", "大田村", "河口村"), registrations_early=1.6,
        registrations_later=0.6, walk_ins=1.4),
        seed=12),
)


def seed_everything(config: Config, county: DemoCounty, today: dt.date
                    ) -> dict[str, VirtualCard]:
    """What a first start makes, and a later one finds: the demo station's year and its
    named residents (their cards' wallet is returned), then the county's stations, officer
    and years."""
    from kiosk.bootstrap import build_core
    key = load_key_file(config.station.key_file)
    seed_station_history(config, key, today)
    core = build_core(config)
    try:
        wallet = seed_demo(core, today)
    finally:
        core.close()
    county.set_up(config.station.id, key.public_bytes().hex(), lambda services: (
        seed_neighbours(services, today, config.station.timezone),
        hand_over_station_log(services, config)))
    return wallet


def history_start(today: dt.date) -> dt.date:
    """The first day of the month twelve months before this one: twelve whole months and
    this month so far."""
    return dt.date(today.year - 1, today.month, 1)


def year_of(station_id: str, key: StationKey, today: dt.date, profile: Profile, seed: int,
            timezone: str = "Asia/Shanghai", plans_file: str | None = None) -> SimulatedLog:
    """The station's log from ``history_start`` up to yesterday."""
    return simulate_year(station_id, key, today, load_plans(plans_file), profile, timezone, seed,
                         days=(today - history_start(today)).days)


def seed_station_history(config: Config, key: StationKey, today: dt.date) -> int:
    """Write the demo station's year into its database before its first start (the events,
    their station-only values, and the tables replayed from them, in one transaction); how
    many events, 0 when the station has a log already."""
    writer = Writer.open(config.station.database)
    try:
        if first_event(writer.db) is not None:
            return 0
        plans = config.care.plans_file
        log = year_of(config.station.id, key, today, DEMO_PROFILE, 10, config.station.timezone,
                      str(plans) if plans else None)
        with writer.transaction() as db:
            rebuild = Rebuild(db, config.station.timezone, load_plans(plans))
            for event in log.events:
                kept = log.secrets.get(event.seq)
                rebuild.apply(event, restore(event.payload, kept) if kept else None)
            insert_events(db, log.events)
            insert_secrets(db, sorted(log.secrets.items()))
            rebuild.finish()
        return len(log.events)
    finally:
        writer.close()


def take_in(county: CountyServices, station_id: str, events: list[Event]) -> Stored:
    """The station's events through the county's intake, ``BATCH`` at a time, each as a push
    the station signed (its time now, its head the last event)."""
    head, outcome = str(events[-1].seq), None
    for start in range(0, len(events), BATCH):
        station = county.store.station(station_id)
        assert station is not None, f"{station_id} is not enrolled"
        outcome = county.intake.receive(station, events[start:start + BATCH],
                                        SignedPush(stamp(county.clock.now()), head, True))
        if not isinstance(outcome, Stored):
            raise RuntimeError(f"the demo county refused {station_id}'s events: {outcome}")
    assert isinstance(outcome, Stored)
    return outcome


def seed_neighbours(county: CountyServices, today: dt.date, timezone: str) -> int:
    """Enrol the neighbour stations and take their years in; how many events were stored."""
    stored = 0
    for neighbour in NEIGHBOURS:
        key = StationKey(Ed25519PrivateKey.generate())  # theirs alone, forgotten afterwards
        county.stations.enroll(neighbour.id, key.public_bytes().hex())
        log = year_of(neighbour.id, key, today, neighbour.profile, neighbour.seed, timezone)
        take_in(county, neighbour.id, log.events)
        stored += len(log.events)
    return stored


def hand_over_station_log(county: CountyServices, config: Config) -> int:
    """The demo station's log so far into the county (enrolled already), and the county's
    signed acknowledgement into the station's ``sync_acks``; how many events."""
    writer = Writer.open(config.station.database)
    try:
        fields = Event.__dataclass_fields__
        events = [Event(**{k: v for k, v in row.items() if k in fields})
                  for row in events_after(writer.db, 0, 10**7)]
        if not events:
            return 0
        head = take_in(county, config.station.id, events).head
        now = county.clock.now()
        signed = sign_ack(ack_body(config.station.id, head.seq, head.hash, stamp(now)), county.key)
        ack = Ack(**signed)
        writer.run(lambda db: keep_ack(db, ack, now.astimezone(dt.UTC).isoformat(
            timespec="seconds")))
        return len(events)
    finally:
        writer.close()
