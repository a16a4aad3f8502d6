"""What every `kiosk-county` command shares: the config from the group's options, the county
opened through the bootstrap, and errors turned into click's (both languages)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click

from kiosk.county.bootstrap import County, build_county, open_county_store, system_clock
from kiosk.county.config import CountyConfig, load_county_config
from kiosk.county.services.stations import Stations
from kiosk.county.store.sql import SqlCountyStore
from kiosk.errors import ConfigError, KioskError
from kiosk.i18n import bilingual


def config_of(ctx: click.Context) -> CountyConfig:
    try:
        return load_county_config(ctx.obj["data_dir"], ctx.obj["database"])
    except ConfigError as exc:
        raise click.ClickException(f"{bilingual('Configuration error')}: {exc}") from None


@contextlib.contextmanager
def county(ctx: click.Context, background: bool = False) -> Iterator[County]:
    """The county (its key, store and services), closed afterwards; KioskError -> click.
    ``background``: reports published by a worker thread (serve)."""
    config = config_of(ctx)
    try:
        opened = build_county(config, background=background)
    except KioskError as exc:
        raise click.ClickException(f"{exc} (run kiosk-county init first)") from exc
    try:
        yield opened
    except KioskError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        opened.close()


@contextlib.contextmanager
def stations_service(ctx: click.Context) -> Iterator[Stations]:
    """The stations' service without the county key (enrol, revoke)."""
    with store_only(ctx) as store:
        try:
            yield Stations(store, None, system_clock())
        except KioskError as exc:
            raise click.ClickException(str(exc)) from exc


@contextlib.contextmanager
def store_only(ctx: click.Context) -> Iterator[SqlCountyStore]:
    """The store without the county key (listing, init)."""
    store = open_county_store(config_of(ctx))
    try:
        yield store
    finally:
        store.close()
