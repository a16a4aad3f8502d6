"""The county's one composition root: ``build_county(config)`` opens the store, loads the
county key, takes the clock and wires the services and the web app. The CLI, the tests and
an embedding demo build a county here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask

from kiosk.county.config import CountyConfig
from kiosk.county.domain.clock import Clock
from kiosk.county.projections import Projection, Projections
from kiosk.county.services import CountyServices, WebSettings
from kiosk.county.services.audit import Audit
from kiosk.county.services.intake import BatchIntake
from kiosk.county.services.restore import ChainRestore
from kiosk.county.services.roster_feed import RosterFeed
from kiosk.county.services.stations import Stations
from kiosk.county.services.users import CountyUsers
from kiosk.county.store import open_store
from kiosk.county.store.sql import SqlCountyStore
from kiosk.keys import StationKey


def build_projections() -> list[Projection]:
    """The read models applied with every stored batch (none yet: the service reports add
    theirs here)."""
    return []


def wire(store: SqlCountyStore, key: StationKey, clock: Clock,
         settings: WebSettings | None = None) -> CountyServices:
    """The services over an open store (tests hand in their own store and clock)."""
    stations, audit = Stations(store, key, clock), Audit(store, clock)
    return CountyServices(store=store, key=key, clock=clock,
                          intake=BatchIntake(store, clock, Projections(build_projections())),
                          roster=RosterFeed(store, key, clock), stations=stations,
                          restore=ChainRestore(store, stations),
                          users=CountyUsers(store, clock, audit), audit=audit,
                          settings=settings or WebSettings())


def web_settings(config: CountyConfig) -> WebSettings:
    return WebSettings(metrics_token=config.metrics_token, trusted_proxies=config.trusted_proxies)


def system_clock() -> Clock:
    from kiosk.adapters.clock import SystemClock
    return SystemClock()


@dataclass
class County:
    config: CountyConfig
    store: SqlCountyStore
    key: StationKey
    services: CountyServices
    clock: Clock = field(default_factory=system_clock)

    def app(self) -> Flask:
        from kiosk.county.web.app import create_county_app
        return create_county_app(self.services)

    def close(self) -> None:
        self.store.close()


def open_county_store(config: CountyConfig, clock: Clock | None = None) -> SqlCountyStore:
    return open_store(config.database_target, clock or system_clock())


def open_store_at(database: str, clock: Clock | None = None) -> SqlCountyStore:
    """The store at an SQLite path or a postgresql:// URL (tests, tools), migrated."""
    return open_store(database, clock or system_clock())


def build_county(config: CountyConfig, clock: Clock | None = None) -> County:
    """The county: its key (kiosk-county init wrote it), its migrated store and services."""
    from kiosk.keys import load_key_file
    clock = clock or system_clock()
    key = load_key_file(config.key_file)
    store = open_county_store(config, clock)
    return County(config, store, key, wire(store, key, clock, web_settings(config)), clock)


def county_app(store: SqlCountyStore, key: StationKey, clock: Clock | None = None,
               settings: WebSettings | None = None) -> Flask:
    """The web app over a store the caller opened (tests, an embedded county)."""
    from kiosk.county.web.app import create_county_app
    return create_county_app(wire(store, key, clock or system_clock(), settings))
