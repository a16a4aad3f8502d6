"""`kiosk-county`: the county's command line, by topic (stations.py, users.py, backups.py,
reports.py, serve.py, card_keys.py; common.py
opens the county). Each command opens the county through kiosk.county.bootstrap and calls
one service; library errors become click errors in both languages."""

from __future__ import annotations

import os
from pathlib import Path

import click

from kiosk.county.config import DEFAULT_DIR


@click.group()
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Where the county key, county.toml and the database live (default "
                   "/var/lib/kiosk-county, or $KIOSK_COUNTY_DIR).")
@click.option("--database", default=None,
              help="A postgresql:// URL for the PostgreSQL backend (or $KIOSK_COUNTY_DATABASE); "
                   "default: county.db (SQLite) in the data directory.")
@click.pass_context
def main(ctx: click.Context, data_dir: str | None, database: str | None) -> None:
    """County receiver for the stations' signed events, and the county office's pages.

    Example: kiosk-county --data-dir /var/lib/kiosk-county serve
    """
    ctx.ensure_object(dict)
    ctx.obj["data_dir"] = Path(data_dir or os.environ.get("KIOSK_COUNTY_DIR") or DEFAULT_DIR)
    ctx.obj["database"] = database or os.environ.get("KIOSK_COUNTY_DATABASE")


def _register() -> None:
    from kiosk.county.cli import backups, card_keys, reports, serve, stations, users
    for command in (*stations.COMMANDS, backups.open_backup, users.user, reports.rebuild,
                    serve.serve, card_keys.card_key):
        main.add_command(command)


_register()
