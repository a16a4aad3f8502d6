"""The demo's twelve months: a year of plausible work at the demo station and two neighbours,
so the county's pages have shape from the first start.

Every event is a real signed one (kiosk/sim/station_year.py), by each station's own key. The
demo station's year is written into its database the way `kiosk restore` rebuilds a station
(kiosk.store.rebuild: the events verbatim, the tables replayed from them), and its own sync
pushes it to the demo county over loopback HTTP like any later tap. The neighbours exist only
at the county: their years go through the county's intake (the same judgement, chain and
signature checks and read models as a push) in large batches, in-process.

Both are done once: a second start finds the station's log and the county's ``seeded`` mark in
the state directory and starts at once (`kiosk demo --reset` begins a new year).
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
from kiosk.domain.disclosure import restore
from kiosk.keys import StationKey
from kiosk.sim.station_year import Profile, SimulatedLog, simulate_year
from kiosk.store.database import first_event
from kiosk.store.rebuild import Rebuild, insert_events, insert_secrets
from kiosk.store.writer import Writer

BATCH = 2000  # events in one intake transaction (a station's push holds at most 500)


@dataclass(frozen=True)
class SeededStation:
    id: str
    name: str
    profile: Profile
    seed: int


DEMO_PROFILE = Profile(villages=("东湾村", "西岭村", "南坪村", "北山村"), walk_ins=3.5)
NEIGHBOURS = (
    SeededStation("qingshi-01", "青石镇卫生院", Profile(
        villages=("青石村", "石桥村", "上坝村", "柳湾村"), walk_ins=3.0), seed=11),
    SeededStation("liuhe-01", "柳河乡卫生服务站", Profile(
        villages=("柳河村", "杨家坪", "大田村", "河口村"), registrations_early=1.6, walk_ins=2.2),
        seed=12),
)


def history_start(today: dt.date) -> dt.date:
    """The first day of the month twelve months before this one: twelve whole months and
    this month so far."""
    return dt.date(today.year - 1, today.month, 1)


def year_of(station_id: str, key: StationKey, today: dt.date, profile: Profile, seed: int,
            timezone: str = "Asia/Shanghai") -> SimulatedLog:
    return simulate_year(station_id, key, today, load_plans(), profile, timezone, seed,
                         days=(today - history_start(today)).days)


def seed_station_history(config: Config, key: StationKey, today: dt.date) -> int:
    """Write the demo station's year into its database before its first start (the events,
    their station-only values, and the tables replayed from them, in one transaction); how
    many events, 0 when the station has a log already."""
    writer = Writer.open(config.station.database)
    try:
        if first_event(writer.db) is not None:
            return 0
        log = simulate_year(config.station.id, key, today, load_plans(config.care.plans_file),
                            DEMO_PROFILE, config.station.timezone, seed=10,
                            days=(today - history_start(today)).days)
        with writer.transaction() as db:
            rebuild = Rebuild(db, config.station.timezone, load_plans(config.care.plans_file))
            for event in log.events:
                kept = log.secrets.get(event.seq)
                rebuild.apply(event, restore(event.payload, kept) if kept else None)
            insert_events(db, log.events)
            insert_secrets(db, sorted(log.secrets.items()))
            rebuild.finish()
        return len(log.events)
    finally:
        writer.close()


def seed_neighbours(county: CountyServices, today: dt.date, timezone: str) -> int:
    """Enrol the neighbour stations and take their years through the county's intake; how
    many events were stored."""
    stored = 0
    for neighbour in NEIGHBOURS:
        key = StationKey(Ed25519PrivateKey.generate())  # theirs alone, forgotten afterwards
        county.stations.enroll(neighbour.id, key.public_bytes().hex())
        log = year_of(neighbour.id, key, today, neighbour.profile, neighbour.seed, timezone)
        head = str(log.events[-1].seq)
        for start in range(0, len(log.events), BATCH):
            station = county.store.station(neighbour.id)
            assert station is not None
            outcome = county.intake.receive(station, log.events[start:start + BATCH],
                                            SignedPush(stamp(county.clock.now()), head, True))
            if not isinstance(outcome, Stored):
                raise RuntimeError(f"the demo county refused {neighbour.id}'s year: {outcome}")
            stored += len(outcome.new)
    return stored
