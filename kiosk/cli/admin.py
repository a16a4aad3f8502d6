"""`kiosk migrate` (the database step of an in-place upgrade, setup.sh install runs it), and
`kiosk restore` / `kiosk backup` (a station rebuilt after its SD card died)."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk.cli.common import fail, station_config
from kiosk.errors import KioskError
from kiosk.i18n import bilingual
from kiosk.protocol.sealed import FLOOR, MAX_INFLATED, RATIO


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


def _county_key(path: str | None, config):
    """The county's public key: a file holding its hex (or a PEM), else county.public_key."""
    from kiosk.keys import load_public_key, public_key_from_hex
    try:
        if path:
            text = Path(path).read_bytes()
            if b"-----BEGIN" in text:
                return load_public_key(Path(path))
            return public_key_from_hex(text.decode().strip().split()[-1])
        if config.county.public_key:
            return public_key_from_hex(config.county.public_key)
    except (ValueError, OSError, KioskError) as exc:
        raise click.BadParameter(bilingual("Not a public key in hex") + f" ({exc})",
                                 param_hint="--county-pubkey") from None
    raise click.UsageError("give --county-pubkey FILE (or set county.public_key)")


@click.command()
@click.option("--from-county", "county_url", default=None,
              help="The county's URL (https://..., or http:// to loopback).")
@click.option("--from-backup", "backup_file", type=click.Path(exists=True, dir_okay=False),
              default=None, help="A backup the county resealed for this card "
                                 "(kiosk-county open-backup).")
@click.option("--county-pubkey", "county_pubkey", type=click.Path(exists=True, dir_okay=False),
              default=None, help="File with the county's public key in hex (or PEM); "
                                 "default: county.public_key.")
@click.option("--max-mb", type=click.IntRange(1, 64 * 1024), default=None,
              help=f"With --from-backup: the largest database (MiB) to inflate it to "
                   f"(default: {RATIO} times the file's size, at least {FLOOR >> 20} and at "
                   f"most {MAX_INFLATED >> 20} MiB).")
@click.pass_context
def restore(ctx: click.Context, county_url: str | None, backup_file: str | None,
            county_pubkey: str | None, max_mb: int | None) -> None:
    """Rebuild this station on a new SD card from the county (or a backup), with the new
    card's key that `kiosk-county replace` enrolled. The station must be stopped.

    Example: kiosk restore --from-county https://county.example/ --county-pubkey county.pub
    """
    from kiosk.adapters.clock import SystemClock
    from kiosk.keys import load_key_file
    from kiosk.ops.restore import CountySource, Source
    from kiosk.ops.restore import restore as run_restore
    from kiosk.store.writer import take_writer_lock
    if bool(county_url) == bool(backup_file):
        raise click.UsageError("give one of --from-county URL or --from-backup FILE")
    config = station_config(ctx)
    try:  # refused before anything is read while the station runs (its database's one writer)
        lock = take_writer_lock(config.station.database)
    except KioskError as exc:
        raise fail(exc) from exc
    source: Source
    try:
        county_key = _county_key(county_pubkey, config)
        key = load_key_file(config.station.key_file)
        if county_url:
            from kiosk.adapters.county import HttpCountyLink
            link = HttpCountyLink(county_url, timeout=120, ca_bundle=config.county.ca_bundle)
            source = CountySource(link, config.station.id, key, county_key)
        else:
            from kiosk.ops.backup import BackupSource
            source = BackupSource(Path(str(backup_file)).read_bytes(), key, county_key,
                                  max_mb << 20 if max_mb else None)
        report = run_restore(config, key, source, SystemClock())
    except (KioskError, OSError, ValueError) as exc:
        raise fail(exc) from exc
    finally:
        lock.release()
    click.echo(bilingual("Station restored") + f": {report.station_id}, {report.events} "
               f"events (county head {report.head_seq}), new chain from seq {report.restored_seq}")
    if report.moved_aside:
        click.echo(f"{bilingual('Moved aside')}: {report.moved_aside}")
    for technician_id in report.technicians:
        click.echo(bilingual("Set a new PIN") + f": kiosk technician set-pin {technician_id}")


@click.command()
@click.option("--to", "to_dir", required=True, type=click.Path(file_okay=False),
              help="Where to write the sealed backup (a USB stick's directory).")
@click.pass_context
def backup(ctx: click.Context, to_dir: str) -> None:
    """Copy the station's database, sealed to the county's key (only the county opens it).

    Example: kiosk backup --to /media/usb
    """
    import datetime as dt

    from kiosk.ops.backup import backup as run_backup
    config = station_config(ctx)
    try:
        path = run_backup(config.station.database, config.county.public_key, Path(to_dir),
                          dt.datetime.now(dt.UTC))
    except (KioskError, OSError, ValueError) as exc:
        raise fail(exc) from exc
    click.echo(f"{bilingual('Backup written, sealed to the county key')}: {path}")
