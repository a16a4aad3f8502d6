"""`kiosk-county open-backup`: a station's sealed backup, opened with the county key and
sealed again for the station's new card."""

from __future__ import annotations

import os
from pathlib import Path

import click

from kiosk.county.cli.common import county
from kiosk.errors import ProtocolError
from kiosk.i18n import bilingual
from kiosk.protocol.sealed import FLOOR, MAX_INFLATED, RATIO


@click.command("open-backup")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Where to write the backup sealed again for the station's new card.")
@click.option("--max-mb", type=click.IntRange(1, 64 * 1024), default=None,
              help=f"The largest database (MiB) to inflate the backup to. Default: {RATIO} "
                   f"times the file's size, at least {FLOOR >> 20} and at most "
                   f"{MAX_INFLATED >> 20} MiB.")
@click.pass_context
def open_backup(ctx: click.Context, backup_file: str, out: str, max_mb: int | None) -> None:
    """Open a station's sealed backup (kiosk backup) with the county key and seal it again,
    with the signed succession and the county's head, to the successor key that
    `kiosk-county replace` enrolled: the new card restores from it (kiosk restore
    --from-backup). The database is never written in the clear, and inflates only within a
    bound (--max-mb); it must be exactly a station database before anything is read from it.

    Example: kiosk-county open-backup kiosk-backup-20261201T080000Z.sealed --out r.sealed
    """
    max_bytes = max_mb << 20 if max_mb else None
    path = Path(backup_file)
    if path.stat().st_size > (max_bytes or MAX_INFLATED):
        raise click.ClickException(f"{bilingual('The backup was refused')}: "
                                   "the file is larger than the bound (--max-mb)")
    with county(ctx) as c:
        try:
            station_id, sealed = c.services.stations.open_backup(path.read_bytes(), max_bytes)
        except ProtocolError as exc:
            raise click.ClickException(f"{bilingual('The backup was refused')}: {exc}") from None
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(sealed)
    os.chmod(out, 0o600)
    click.echo(f"{bilingual('Backup sealed for the new card')}: {station_id} -> {out}")
