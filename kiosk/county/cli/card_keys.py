"""`kiosk-county card-key`: the county card key, and each station's card key file made from it.

The county card key (``card.key`` in the data directory, 0600) never leaves the county. From
it the county derives one key per township and key version, and hands a station the file of
its own township only (``setup.sh install --card-key FILE``): a stolen station then makes or
reads genuine DESFire cards of its township alone. Cards of other townships are authenticated
through the county (kiosk.county.web.api.card_auth), which needs this key to serve.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from kiosk.county.bootstrap import load_card_key
from kiosk.county.cli.common import config_of
from kiosk.errors import KeyFileError
from kiosk.i18n import bilingual

log = logging.getLogger("kiosk.county")


@click.group("card-key")
def card_key() -> None:
    """The county card key and the stations' card key files.

    Example: kiosk-county card-key station --station cg-01 --township chengguan --out cg-01.keys
    """


@card_key.command("init")
@click.pass_context
def init(ctx: click.Context) -> None:
    """Make the county card key (once; keep it, and its backup, like the county key).

    Example: kiosk-county card-key init
    """
    path = config_of(ctx).card_key_file
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise click.ClickException(f"{path} exists: the county has its card key") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(os.urandom(16).hex().upper() + "\n")
    click.echo(f"{bilingual('County card key written')}: {path}")


@card_key.command("station")
@click.option("--station", "station_id", required=True, help="The station it is for.")
@click.option("--township", required=True, help="The township whose cards it issues.")
@click.option("--version", default=1, show_default=True,
              help="The township's current key version (raise it to re-key the township).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write it (0600); carry it to the station, then delete it.")
@click.pass_context
def station(ctx: click.Context, station_id: str, township: str, version: int, out: Path) -> None:
    """Write one station's card key file: its township's keys up to --version, and the
    county's MIFARE Classic master.

    Example: kiosk-county card-key station --station cg-01 --township chengguan --out cg-01.keys
    """
    from kiosk.config.card_keys import keyring_for, write_card_keys
    try:
        key = load_card_key(config_of(ctx).card_key_file)
    except KeyFileError as exc:
        raise click.ClickException(str(exc)) from None
    if key is None:
        raise click.ClickException(bilingual("The county has no card key yet")
                                   + ": kiosk-county card-key init")
    if not 0 < version < 256 or not township or len(township.encode()) > 64:
        raise click.BadParameter("a township id of 1-64 bytes and a version 1-255")
    write_card_keys(out, keyring_for(key, township, version),
                    f"township {township}, for station {station_id}")
    log.info("card key file of township %s (version %d) written for station %s",
             township, version, station_id)
    click.echo(f"{bilingual('Card key file written')}: {out} ({township}, {version})")
