"""`kiosk-county`: the county receiver's command line (init, enroll, replace, revoke, stations,
open-backup, serve, card-key)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
from pathlib import Path

import click

from kiosk.errors import KioskError
from kiosk.i18n import bilingual

DEFAULT_DIR = Path("/var/lib/kiosk-county")


def _paths(ctx: click.Context) -> tuple[Path, Path]:
    base = ctx.obj["data_dir"]
    return base / "county.key", base / "county.db"


def _store(ctx: click.Context):
    from kiosk.county.store_pg import open_store
    return open_store(ctx.obj["database"] or str(_paths(ctx)[1]))


@click.group()
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Where the county key and database live (default /var/lib/kiosk-county, "
                   "or $KIOSK_COUNTY_DIR).")
@click.option("--database", default=None,
              help="A postgresql:// URL for the PostgreSQL backend (or $KIOSK_COUNTY_DATABASE); "
                   "default: county.db (SQLite) in the data directory.")
@click.pass_context
def main(ctx: click.Context, data_dir: str | None, database: str | None) -> None:
    """County receiver for the stations' signed events.

    Example: kiosk-county --data-dir /var/lib/kiosk-county serve
    """
    ctx.ensure_object(dict)
    ctx.obj["data_dir"] = Path(data_dir or os.environ.get("KIOSK_COUNTY_DIR") or DEFAULT_DIR)
    ctx.obj["database"] = database or os.environ.get("KIOSK_COUNTY_DATABASE")


@main.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create the county key pair (0600) that signs acknowledgements.

    Example: kiosk-county init
    """
    from kiosk.keys import generate_key_file
    key_path, db_path = _paths(ctx)
    try:
        key = generate_key_file(key_path)
    except KioskError as exc:
        raise click.ClickException(str(exc)) from exc
    _store(ctx).close()
    click.echo(f"{bilingual('Key written')}: {key_path}")
    click.echo(f"{bilingual('Public key fingerprint')}: {key.fingerprint()}")
    click.echo(f"public key (hex): {key.public_bytes().hex()}")


@main.command()
@click.option("--station", "station_id", help="The station's id.")
@click.option("--pubkey", help="Its public key, 64 hex digits (kiosk keygen).")
@click.option("--code", help="Or the enrolment code (kiosk keygen; its QR code scans to it).")
@click.pass_context
def enroll(ctx: click.Context, station_id: str | None, pubkey: str | None,
           code: str | None) -> None:
    """Enrol a station's public key (or replace it after a new key).

    Example: kiosk-county enroll --station xinglong-01 --pubkey 3f1c...
    """
    from kiosk.keys import fingerprint
    station_id, raw = _station_key(station_id, pubkey, code)
    _store(ctx).enroll(station_id, raw.hex(), dt.datetime.now(dt.UTC).isoformat())
    click.echo(f"enrolled {station_id} (fingerprint {fingerprint(raw)})")


@main.command()
@click.option("--station", "station_id", required=True, help="The station's id.")
@click.option("--trusted-seq", type=click.IntRange(min=0), default=None,
              help="Its last trusted acknowledgement: later entries are flagged for review "
                   "(default: none).")
@click.pass_context
def revoke(ctx: click.Context, station_id: str, trusted_seq: int | None) -> None:
    """Revoke a station's key: its pushes are refused (403), the roster serves none of its
    entries from now on and tells every station to stop trusting its key.

    Example: kiosk-county revoke --station xinglong-01 --trusted-seq 1200
    """
    import datetime as dt
    store = _store(ctx)
    if store.station(station_id) is None:
        raise click.ClickException(f"no station {station_id!r}")
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    flagged = store.revoke(station_id, at, trusted_seq)
    click.echo(f"revoked {station_id} at {at}")
    if flagged:
        click.echo(f"ALERT flagged for review: {len(flagged)} entries of {station_id}, "
                   f"seq {flagged[0]}..{flagged[-1]} (never served on the roster)")


def _station_key(station_id: str | None, pubkey: str | None, code: str | None
                 ) -> tuple[str, bytes]:
    """(station id, raw 32-byte key) from --station/--pubkey or --code, as enroll and replace
    take them."""
    from kiosk.keys import parse_enrolment_text
    if code:
        try:
            station_id, pubkey = parse_enrolment_text(code)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--code") from None
    if not station_id or not pubkey:
        raise click.UsageError("give --station and --pubkey, or --code")
    try:
        raw = bytes.fromhex(pubkey)
        if len(raw) != 32:
            raise ValueError
    except ValueError:
        raise click.BadParameter("must be 64 hex digits", param_hint="--pubkey") from None
    return station_id, raw


@main.command()
@click.option("--station", "station_id", help="The station's id.")
@click.option("--pubkey", help="The new card's public key, 64 hex digits (kiosk keygen on it).")
@click.option("--code", help="Or the new card's enrolment code (kiosk print-test --enrolment).")
@click.pass_context
def replace(ctx: click.Context, station_id: str | None, pubkey: str | None,
            code: str | None) -> None:
    """Enrol a new key as the successor of a station's key after its SD card died, and sign
    the succession: the new card can then restore the station (kiosk restore) and carry on
    its chain; cards the old key issued keep working.

    Example: kiosk-county replace --station xinglong-01 --pubkey 3f1c...
    """
    from kiosk.county.successions import replace_key
    from kiosk.keys import fingerprint
    station_id, raw = _station_key(station_id, pubkey, code)
    try:
        replace_key(_store(ctx), station_id, raw.hex(), _county_key(ctx))
    except KioskError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{bilingual('Successor key enrolled')}: {station_id} "
               f"(fingerprint {fingerprint(raw)})")


def _county_key(ctx: click.Context):
    from kiosk.keys import load_key_file
    try:
        return load_key_file(_paths(ctx)[0])
    except KioskError as exc:
        raise click.ClickException(f"{exc} (run kiosk-county init first)") from exc


@main.command()
@click.pass_context
def stations(ctx: click.Context) -> None:
    """List enrolled stations with their last sync, events stored and clock offset.

    Example: kiosk-county stations
    """
    store = _store(ctx)
    for s in store.stations():
        offset = "-" if s.clock_offset_s is None else f"{s.clock_offset_s:+.0f} s"
        click.echo(f"{s.id}  {s.status}  events {store.count(s.id)}  last sync "
                   f"{s.last_sync or '-'}  clock {offset}")


@main.command("open-backup")
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
    from kiosk.county import successions
    from kiosk.domain.events import GENESIS_HASH
    from kiosk.protocol.sync import ack_body, sign_ack
    key = _county_key(ctx)
    store = _store(ctx)
    try:
        from kiosk.county.backups import backup_station_id, seal_for_successor
        from kiosk.county.backups import open_backup as unseal
        database = unseal(Path(backup_file).read_bytes(), key)
        station_id = backup_station_id(database)
        station = store.station(station_id)
        succession = successions.pending(store._conn(), station_id, station.public_key) \
            if station else None
        if succession is None:
            raise click.ClickException(f"no pending succession for {station_id!r}: run "
                                       "kiosk-county replace --station ID --pubkey KEY first")
        head_seq = store.head_of(station_id)
        last = store.events(station_id, head_seq - 1, 1) if head_seq else []
        now = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        head = sign_ack(ack_body(station_id, head_seq, last[0].hash if last else GENESIS_HASH,
                                 now), key)
        sealed = seal_for_successor(database, succession, head, station.public_key, station_id)
    except KioskError as exc:
        raise click.ClickException(str(exc)) from exc
    Path(out).write_bytes(sealed)
    os.chmod(out, 0o600)
    click.echo(f"{bilingual('Backup sealed for the new card')}: {station_id} -> {out}")


def waitress_settings(connection_limit: int, channel_timeout: int) -> dict:
    """waitress's limits, set here rather than left to its defaults (100 connections, idle
    ones kept 120 s, which 110 half-open connections exhaust). Per-address limits belong to
    the reverse proxy in front (docs/deploy.md)."""
    from kiosk.protocol.sync import MAX_BYTES
    return {"connection_limit": connection_limit, "channel_timeout": channel_timeout,
            "cleanup_interval": max(1, min(5, channel_timeout)), "backlog": 1024,
            "asyncore_use_poll": True,  # select() stops at 1024 descriptors
            "max_request_header_size": 16 * 1024, "max_request_body_size": MAX_BYTES + 4096}


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Keep loopback: the reverse proxy (TLS, per-address limits) connects here.")
@click.option("--port", default=8700, show_default=True)
@click.option("--threads", default=4, show_default=True)
@click.option("--connection-limit", default=500, show_default=True,
              help="Open connections at most; more wait in the listen backlog.")
@click.option("--channel-timeout", default=15, show_default=True,
              help="Seconds an idle or half-sent connection is kept.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, threads: int, connection_limit: int,
          channel_timeout: int) -> None:
    """Serve the receiver with waitress on loopback, behind a reverse proxy (nginx) that
    terminates TLS and limits connections per address (docs/deploy.md).

    Example: kiosk-county serve --host 127.0.0.1 --port 8700
    """
    import waitress

    from kiosk.county.app import create_county_app
    from kiosk.county.store_pg import PostgresCountyStore
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    key = _county_key(ctx)
    store = _store(ctx)
    from kiosk.store.database import sqlite_status
    logging.getLogger("kiosk.county").info(
        "%s", sqlite_status() if not isinstance(store, PostgresCountyStore) else
        "PostgreSQL store (its pool of connections; SQLite's WAL-reset bug does not apply)")
    from kiosk.county.card_cli import load_card_key
    app = create_county_app(store, key, card_key=load_card_key(ctx.obj["data_dir"]))
    click.echo(f"county receiver on http://{host}:{port}/", err=True)
    waitress.serve(app, host=host, port=port, threads=threads, ident="kiosk-county",
                   _quiet=True, **waitress_settings(connection_limit, channel_timeout))


from kiosk.county.card_cli import card_key  # noqa: E402  (its own module: the card keys)

main.add_command(card_key)
