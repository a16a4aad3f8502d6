"""The `kiosk` command: a thin click layer over the library (one command, one call)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kiosk.cli.admin import backup, migrate, restore
from kiosk.cli.common import fail, setup_logging, station_config
from kiosk.cli.printing import print_test
from kiosk.cli.staff import sync, technician
from kiosk.config.loader import VPCD_PORT, config_path, load_config
from kiosk.errors import KioskError
from kiosk.i18n import bilingual


@click.group()
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Config file (default /etc/kiosk/kiosk.toml, or $KIOSK_CONFIG).")
@click.version_option(package_name="kiosk")
@click.pass_context
def main(ctx: click.Context, config_file: str | None) -> None:
    """Check-in kiosk for township health-service stations.

    Example: kiosk --config /etc/kiosk/kiosk.toml doctor
    """
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path(config_file)


@main.command()
@click.option("--key-file", type=click.Path(dir_okay=False), help="Where to write the key "
              "(default: station.key_file from the config).")
@click.option("--force", is_flag=True, help="Replace an existing key (the station gets a new identity).")
@click.option("--qr", is_flag=True, help="Also show the enrolment code as a QR code for the county.")
@click.pass_context
def keygen(ctx: click.Context, key_file: str | None, force: bool, qr: bool) -> None:
    """Generate the station's Ed25519 key into a 0600 file and show its fingerprint.

    Example: kiosk keygen --key-file /var/lib/kiosk/station.key
    """
    from kiosk.keys import generate_key_file
    path = Path(key_file) if key_file else station_config(ctx).station.key_file
    try:
        key = generate_key_file(path, force=force)
    except KioskError as exc:
        raise fail(exc) from exc
    click.echo(f"{bilingual('Key written')}: {path}")
    click.echo(f"{bilingual('Public key fingerprint')}: {key.fingerprint()}")
    click.echo(f"public key (hex): {key.public_bytes().hex()}")
    if qr or not key_file:
        from kiosk.keys import enrolment_text, terminal_qr
        known = Path(ctx.obj["config_path"]).exists()
        code = enrolment_text(station_config(ctx).station.id if known else "STATION-ID",
                              key.public_bytes())
        click.echo(f"{bilingual('Enrolment code')}: {code}")
        if qr:
            click.echo(terminal_qr(code))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line per processed tap.")
@click.pass_context
def serve(ctx: click.Context, as_json: bool) -> None:
    """Run the station headless: read cards, check residents in, log every event.

    Example: kiosk --config /etc/kiosk/kiosk.toml serve
    """
    config = station_config(ctx)
    setup_logging(config.log.level)
    from kiosk.bootstrap import run_station
    try:
        run_station(config, as_json=as_json)
    except KioskError as exc:
        raise fail(exc) from exc


@main.command()
@click.argument("card")
@click.option("--hold", default=1.5, show_default=True, help="Seconds to keep the card on the reader.")
@click.option("--port", type=int, help="vpcd port (default: reader.vpcd_port from the config).")
@click.option("--slot", default=0, show_default=True, help="Reader slot (0 or 1).")
@click.pass_context
def tap(ctx: click.Context, card: str, hold: float, port: int | None, slot: int) -> None:
    """Present a virtual card to the station's vpcd reader.

    CARD is a demo card (wang, li, zhang, chen, tech, copy, unknown, or its
    number), "blank" for a new card to issue, "new" for the card issued last,
    or a UID in hex (4, 7 or 10 bytes). A card the station writes is kept.

    Example: kiosk tap wang
    """
    from kiosk.demo.data import demo_card, keep_if_written, wallet_key, wallet_path
    from kiosk.sim.vpcd import tap as present
    from kiosk.sim.wallet import load_wallet
    path = ctx.obj["config_path"]
    config = load_config(path) if Path(path).exists() else None
    wallet = load_wallet(wallet_path(config.station.data_dir)) if config else {}
    try:
        virtual = demo_card(card, wallet)
    except ValueError as exc:
        raise click.BadParameter(bilingual("Not a card name or UID") + f": {exc}") from exc
    if port is None:
        port = config.reader.vpcd_port if config else VPCD_PORT
    before = bytes(virtual.memory)
    try:
        read = present(port + slot, virtual, hold=hold, linger=0.5)
    except OSError as exc:
        raise click.ClickException(bilingual("No virtual reader is listening") +
                                   f" (port {port + slot}): {exc}") from exc
    if config:
        keep_if_written(config.station.data_dir, wallet_key(card, wallet) if card != "blank" else card,
                        virtual, before)
    click.echo(bilingual("Card read") if read else bilingual("Card was not read in time"))


@main.command("verify-log")
@click.option("--database", type=click.Path(exists=True, dir_okay=False),
              help="Database file (default: station.database from the config).")
@click.option("--public-key", type=click.Path(exists=True, dir_okay=False),
              help="PEM public key, or the station key file (default: station.key_file).")
@click.option("--county-key", default=None,
              help="The county's public key in hex (default: county.public_key).")
@click.pass_context
def verify_log(ctx: click.Context, database: str | None, public_key: str | None,
               county_key: str | None) -> None:
    """Verify the whole event chain and every signature, and that the log still holds the
    newest event the county acknowledged; exit 1 naming each problem.

    Example: kiosk verify-log --database /var/lib/kiosk/kiosk.db --public-key station.pub
    """
    from kiosk.keys import public_key_from_hex
    from kiosk.ops.verify import verify_database
    config = None if (database and public_key) else station_config(ctx)
    database_path = Path(database) if database else config.station.database if config else None
    key_path = Path(public_key) if public_key else config.station.key_file if config else None
    assert database_path and key_path  # both given, or the config names them
    county_hex = county_key or (config.county.public_key if config else "")
    try:
        county = public_key_from_hex(county_hex) if county_hex else None
    except ValueError as exc:
        raise click.BadParameter(bilingual("Not a public key in hex"),
                                 param_hint="--county-key") from exc
    try:
        report = verify_database(database_path, key_path, config.station.id if config else None,
                                 county)
    except KioskError as exc:
        raise fail(exc) from exc
    for problem in report.problems:
        click.echo(f"FAIL {problem}")
    if not report.ok:
        click.echo(bilingual("Event log verification failed") +
                   f": {len(report.problems)} problem(s) in {report.checked} events")
        sys.exit(1)
    click.echo(bilingual("Event log verified") + f": {report.checked} events")


@main.command()
@click.pass_context
def doctor(ctx: click.Context) -> None:
    """Check pcscd and readers, database, key file, clock and config; exit 1 on any FAIL.

    Example: kiosk doctor
    """
    from kiosk.ops.doctor import Check, run_checks
    try:
        checks = list(run_checks(load_config(ctx.obj["config_path"])))
    except KioskError as exc:
        checks = [Check("config", False, str(exc), "fix the config file")]
    for check in checks:
        mark = "FAIL" if not check.ok else "WARN" if check.warn else "OK  "
        line = f"{mark} {bilingual(check.name)}: {check.detail}"
        click.echo(f"{line}\n     {bilingual('fix')}: {check.fix}" if mark != "OK  " else line)
    if not all(c.ok for c in checks):
        sys.exit(1)


@main.command()
@click.option("--state-dir", type=click.Path(file_okay=False), default=None,
              help="Where the demo keeps its config, key and database "
                   "(default ~/.local/state/kiosk-demo).")
@click.option("--reset", is_flag=True, help="Start from a fresh demo database and key.")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port of the kiosk screen and demo panel on 127.0.0.1 (default 8080, or a free "
                   "one when 8080 is taken; the demo says which).")
@click.option("--desk-port", type=click.IntRange(1, 65535), default=None,
              help="Port of the technician desk (HTTPS) on 127.0.0.1 (default 8443, likewise).")
@click.pass_context
def demo(ctx: click.Context, state_dir: str | None, reset: bool, port: int | None,
         desk_port: int | None) -> None:
    """Run the station with a virtual card reader and demo residents.

    Starts a private pcscd with the vpcd virtual reader when available (the
    same path as a USB reader), otherwise an in-process fake reader.

    Example: kiosk demo --port 8090   (then type a card number, or run: kiosk tap wang)
    """
    from kiosk.demo.run import run_demo
    try:
        run_demo(Path(state_dir) if state_dir else None, reset=reset, ui_port=port,
                 desk_port=desk_port)
    except KioskError as exc:
        raise fail(exc) from exc


for command in (technician, sync, print_test, migrate, restore, backup):
    main.add_command(command)
