"""What every `kiosk` subcommand shares: its config, its errors and its log format."""

from __future__ import annotations

import logging
import sys

import click

from kiosk.config.loader import Config, load_config
from kiosk.errors import KioskError
from kiosk.i18n import bilingual


def fail(exc: Exception) -> click.ClickException:
    """A library error as click's one-line failure, in both languages."""
    return click.ClickException(bilingual("Error") + ": " + str(exc))


def station_config(ctx: click.Context) -> Config:
    """The config file the group option chose, validated, or a bilingual failure."""
    try:
        return load_config(ctx.obj["config_path"])
    except KioskError as exc:
        raise click.ClickException(bilingual("Configuration error") + f": {exc}") from exc


def setup_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
