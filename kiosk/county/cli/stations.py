"""`kiosk-county init|enroll|replace|revoke|stations`: the county key and the stations' keys."""

from __future__ import annotations

import click

from kiosk.county.cli.common import config_of, county, stations_service, store_only
from kiosk.errors import KioskError
from kiosk.i18n import bilingual


@click.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create the county key pair (0600) that signs acknowledgements, and the database.

    Example: kiosk-county init
    """
    from kiosk.keys import generate_key_file
    key_path = config_of(ctx).key_file
    try:
        key = generate_key_file(key_path)
    except KioskError as exc:
        raise click.ClickException(str(exc)) from exc
    with store_only(ctx):
        pass
    click.echo(f"{bilingual('Key written')}: {key_path}")
    click.echo(f"{bilingual('Public key fingerprint')}: {key.fingerprint()}")
    click.echo(f"public key (hex): {key.public_bytes().hex()}")


def station_key(station_id: str | None, pubkey: str | None, code: str | None
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


@click.command()
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
    station_id, raw = station_key(station_id, pubkey, code)
    with stations_service(ctx) as service:
        service.enroll(station_id, raw.hex())
    click.echo(f"enrolled {station_id} (fingerprint {fingerprint(raw)})")


@click.command()
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
    with stations_service(ctx) as service:
        revoked = service.revoke(station_id, trusted_seq)
    click.echo(f"revoked {station_id} at {revoked.at}")
    if revoked.flagged:
        click.echo(f"ALERT flagged for review: {len(revoked.flagged)} entries of {station_id}, "
                   f"seq {revoked.flagged[0]}..{revoked.flagged[-1]} (never served on the roster)")


@click.command()
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
    from kiosk.keys import fingerprint
    station_id, raw = station_key(station_id, pubkey, code)
    with county(ctx) as c:
        c.services.stations.replace_key(station_id, raw.hex())
    click.echo(f"{bilingual('Successor key enrolled')}: {station_id} "
               f"(fingerprint {fingerprint(raw)})")


@click.command()
@click.pass_context
def stations(ctx: click.Context) -> None:
    """List enrolled stations with their last sync, events stored and clock offset.

    Example: kiosk-county stations
    """
    with store_only(ctx) as store:
        for s in store.stations():
            offset = "-" if s.clock_offset_s is None else f"{s.clock_offset_s:+.0f} s"
            click.echo(f"{s.id}  {s.status}  events {store.count(s.id)}  last sync "
                       f"{s.last_sync or '-'}  clock {offset}")


COMMANDS = (init, enroll, revoke, replace, stations)
