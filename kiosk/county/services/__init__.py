"""The county's use cases, one module each, over ``store.write(...)`` and the county Clock.
``CountyServices`` is what the web app and the CLI are handed (kiosk/county/bootstrap.py
builds it)."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.county.domain.clock import Clock
from kiosk.county.services.audit import Audit
from kiosk.county.services.card_auth import CardAuthority
from kiosk.county.services.intake import BatchIntake
from kiosk.county.services.report_views import ReportViews
from kiosk.county.services.reports import ReportService
from kiosk.county.services.restore import ChainRestore
from kiosk.county.services.roster_feed import RosterFeed
from kiosk.county.services.stations import Stations
from kiosk.county.services.users import CountyUsers
from kiosk.county.services.visitors import VisitorLookups
from kiosk.county.store.sql import SqlCountyStore
from kiosk.keys import StationKey


@dataclass(frozen=True)
class CountyServices:
    store: SqlCountyStore
    key: StationKey
    clock: Clock
    intake: BatchIntake
    roster: RosterFeed
    stations: Stations
    restore: ChainRestore
    users: CountyUsers
    audit: Audit
    settings: WebSettings
    visitors: VisitorLookups
    reports: ReportService
    report_views: ReportViews
    card_auth: CardAuthority | None = None  # relayed card authentication, with a card key


@dataclass(frozen=True)
class WebSettings:
    """What the pages need of the county's config (kiosk.county.config.CountyConfig)."""

    metrics_token: str | None = None
    secure_cookies: bool = True   # browsers send the session cookie over HTTPS only
    trusted_proxies: int = 1      # X-Forwarded-For hops to trust for the client address
