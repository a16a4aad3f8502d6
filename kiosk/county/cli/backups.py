"""`kiosk-county open-backup`: a station's sealed backup, opened with the county key and
sealed again for the station's new card."""

from __future__ import annotations

import os
from pathlib import Path

import click

from kiosk.county.cli.common import county
from kiosk.i18n import bilingual


@click.command("open-backup")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Where to write the backup sealed again for the station's new card.")
@click.pass_context
def open_backup(ctx: click.Context, backup_file: str, out: str) -> None:
    """Open a station's sealed backup (kiosk backup) with the county key and seal it again,
    with the signed succession and the county's head, to the successor key that
    `kiosk-county replace` enrolled: the new card restores from it (kiosk restore
    --from-backup). The database is never written in the clear.

    Example: kiosk-county open-backup kiosk-backup-xinglong-01-20261201T0800Z.sealed --out r.sealed
    """
    with county(ctx) as c:
        station_id, sealed = c.services.stations.open_backup(Path(backup_file).read_bytes())
    Path(out).write_bytes(sealed)
    os.chmod(out, 0o600)
    click.echo(f"{bilingual('Backup sealed for the new card')}: {station_id} -> {out}")
