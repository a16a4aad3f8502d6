"""`kiosk-county`: the county receiver's command line (init, enroll, revoke, stations, serve)."""

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
    from kiosk.keys import fingerprint, parse_enrolment_text
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
    _store(ctx).enroll(station_id, raw.hex(), dt.datetime.now(dt.UTC).isoformat())
    click.echo(f"enrolled {station_id} (fingerprint {fingerprint(raw)})")


@main.command()
@click.option("--station", "station_id", required=True, help="The station's id.")
@click.pass_context
def revoke(ctx: click.Context, station_id: str) -> None:
    """Revoke a station's key: its pushes are refused (403) from now on.

    Example: kiosk-county revoke --station xinglong-01
    """
    store = _store(ctx)
    if store.station(station_id) is None:
        raise click.ClickException(f"no station {station_id!r}")
    store.revoke(station_id)
    click.echo(f"revoked {station_id}")


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


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8700, show_default=True)
@click.option("--threads", default=4, show_default=True)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, threads: int) -> None:
    """Serve the receiver with waitress (put TLS in front of it, e.g. nginx).

    Example: kiosk-county serve --host 0.0.0.0 --port 8700
    """
    import waitress

    from kiosk.county.app import create_county_app
    from kiosk.keys import load_key_file
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    key_path, _ = _paths(ctx)
    try:
        key = load_key_file(key_path)
    except KioskError as exc:
        raise click.ClickException(f"{exc} (run kiosk-county init first)") from exc
    app = create_county_app(_store(ctx), key)
    click.echo(f"county receiver on http://{host}:{port}/", err=True)
    waitress.serve(app, host=host, port=port, threads=threads, ident="kiosk-county",
                   _quiet=True)
