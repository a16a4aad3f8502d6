"""The county's one composition root: ``build_county(config)`` opens the store, loads the
county key, takes the clock and wires the services and the web app. The CLI, the tests and
an embedding demo build a county here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask

from kiosk.county.config import CountyConfig, ReportsSection
from kiosk.county.domain.clock import Clock
from kiosk.county.domain.visitors import RosterPolicy
from kiosk.county.projections import Projection, Projections
from kiosk.county.projections.report_model import ReportReadModel
from kiosk.county.services import CountyServices, WebSettings
from kiosk.county.services.audit import Audit
from kiosk.county.services.intake import BatchIntake
from kiosk.county.services.report_views import ReportViews
from kiosk.county.services.reports import ReportService, ReportSettings
from kiosk.county.services.restore import ChainRestore
from kiosk.county.services.roster_feed import RosterFeed
from kiosk.county.services.stations import Stations
from kiosk.county.services.users import CountyUsers
from kiosk.county.services.visitors import VisitorLookups
from kiosk.county.store import open_store
from kiosk.county.store.sql import SqlCountyStore
from kiosk.keys import StationKey


def build_projections(timezone: str = ReportsSection.timezone) -> list[Projection]:
    """The read models applied with every stored event, in order: home stations first (the
    roster rules and the feed read them), then the service reports'."""
    from kiosk.county.projections.homes import HomeStations
    return [HomeStations(), ReportReadModel(timezone)]


def report_settings(section: ReportsSection | None = None, background: bool = False
                    ) -> ReportSettings:
    """The reports' settings: the config's threshold and time zone, and the shipped care
    plans' order and names (a plan the file does not know is shown by its id)."""
    from kiosk.config.care_plans import load_plans
    section = section or ReportsSection()
    plans = load_plans()
    item_names: dict[tuple[str, str], str] = {}
    for plan in plans.values():
        titles = [f"{i.titles.zh} / {i.titles.en}" if i.titles.zh != i.titles.en else i.titles.zh
                  for i in plan.items]
        for item, title in zip(plan.items, titles, strict=True):
            same = titles.count(title) > 1  # four "supply pick-up"s: their codes tell them apart
            item_names[(plan.id, item.code)] = f"{title} ({item.code})" if same else title
    return ReportSettings(
        threshold=section.threshold, timezone=section.timezone,
        plans=tuple((p.id, tuple(i.code for i in p.items)) for p in plans.values()),
        plan_names={p.id: f"{p.names.zh} / {p.names.en}" for p in plans.values()},
        item_names=item_names, background=background)


def wire(store: SqlCountyStore, key: StationKey, clock: Clock,
         settings: WebSettings | None = None, policy: RosterPolicy | None = None,
         reports: ReportSettings | None = None, card_key: bytes | None = None) -> CountyServices:
    """The services over an open store (tests hand in their own store and clock); a read
    model a migration marked is rebuilt first (an upgraded county, once); with the county
    card key, relayed card authentication too."""
    from kiosk.county.services.card_auth import CardAuthority
    policy = policy or RosterPolicy()
    reports = reports or report_settings()
    projections = Projections(build_projections(reports.timezone))
    projections.rebuild_pending(store)
    stations, audit = Stations(store, key, clock), Audit(store, clock)
    published = ReportService(store, clock, reports, lambda: projections.catch_up(store))
    return CountyServices(store=store, key=key, clock=clock,
                          intake=BatchIntake(store, clock, projections, policy,
                                             published.changed),
                          roster=RosterFeed(store, key, clock, policy), stations=stations,
                          restore=ChainRestore(store, stations),
                          users=CountyUsers(store, clock, audit), audit=audit,
                          settings=settings or WebSettings(),
                          visitors=VisitorLookups(store, key, clock, policy), reports=published,
                          report_views=ReportViews(published, audit),
                          card_auth=CardAuthority(card_key, clock) if card_key else None)


def roster_policy(config: CountyConfig) -> RosterPolicy:
    return RosterPolicy(config.presence_window_s, config.lookups_per_minute,
                        config.lookup_alert_per_day)


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
        self.services.reports.stop()
        self.store.close()


def open_county_store(config: CountyConfig, clock: Clock | None = None) -> SqlCountyStore:
    return open_store(config.database_target, clock or system_clock())


def open_store_at(database: str, clock: Clock | None = None) -> SqlCountyStore:
    """The store at an SQLite path or a postgresql:// URL (tests, tools), migrated."""
    return open_store(database, clock or system_clock())


def build_county(config: CountyConfig, clock: Clock | None = None, background: bool = False
                 ) -> County:
    """The county: its key (kiosk-county init wrote it), its migrated store and services;
    ``background``: reports are published by a worker thread (``kiosk-county serve`` starts it)."""
    from kiosk.keys import load_key_file
    clock = clock or system_clock()
    key = load_key_file(config.key_file)
    card_key = load_card_key(config.card_key_file)
    store = open_county_store(config, clock)
    services = wire(store, key, clock, web_settings(config), roster_policy(config),
                    report_settings(config.reports, background), card_key)
    return County(config, store, key, services, clock)


def load_card_key(path: Path) -> bytes | None:
    """The county card key, or None when the county has none (no card relay then);
    KeyFileError when others can read it or it is not one."""
    import stat

    from kiosk.errors import KeyFileError
    try:
        mode = path.stat().st_mode
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise KeyFileError(f"{path}: {exc}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{path} can be read by others: chmod 600 {path}")
    if len(key) != 16:
        raise KeyFileError(f"{path} does not hold an AES-128 key (kiosk-county card-key init)")
    return key


def county_app(store: SqlCountyStore, key: StationKey, clock: Clock | None = None,
               settings: WebSettings | None = None, card_key: bytes | None = None) -> Flask:
    """The web app over a store the caller opened (tests, an embedded county)."""
    from kiosk.county.web.app import create_county_app
    return create_county_app(wire(store, key, clock or system_clock(), settings,
                                  card_key=card_key))
