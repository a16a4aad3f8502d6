"""`kiosk migrate`: the database step of an in-place upgrade (setup.sh install runs it)."""

from __future__ import annotations

import click

from kiosk.cli.common import fail, station_config
from kiosk.errors import KioskError
from kiosk.i18n import bilingual


@click.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Bring the database up to this release's schema, with a copy taken first.

    If a migration fails the copy is put back and the command exits 1, so the previous
    release still runs. Example: kiosk --config /etc/kiosk/kiosk.toml migrate
    """
    from kiosk.ops.upgrade import migrate_with_backup
    config = station_config(ctx)
    try:
        report = migrate_with_backup(config.station.database, config.station.data_dir / "backups")
    except KioskError as exc:
        raise fail(exc) from exc
    if not report.applied:
        click.echo(bilingual("Database is up to date"))
        return
    click.echo(bilingual("Database migrated") + ": " + ", ".join(report.applied))
    if report.backup:
        click.echo(f"{bilingual('Copy before the upgrade')}: {report.backup}")
