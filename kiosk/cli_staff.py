"""`kiosk technician ...`: bring up a new station's first technician from the console,
without the county: name, PIN, and a card tapped on the station's reader."""

from __future__ import annotations

import time

import click

from kiosk.errors import KioskError
from kiosk.i18n import bilingual


@click.group()
def technician() -> None:
    """Technicians of this station (their cards and PINs).

    Example: kiosk technician add --name 赵医生
    """


@technician.command("add")
@click.option("--name", prompt=True, help="The technician's name.")
@click.option("--pin", prompt=True, hide_input=True, confirmation_prompt=True,
              help="4 to 8 digits (asked for twice, not shown).")
@click.option("--timeout", default=60.0, show_default=True,
              help="Seconds to wait for the card on the reader.")
@click.pass_context
def add(ctx: click.Context, name: str, pin: str, timeout: float) -> None:
    """Add a technician: PIN, then tap a blank card to become their technician card.

    Example: kiosk --config /etc/kiosk/kiosk.toml technician add --name 赵医生
    """
    from kiosk.bootstrap import build_core, build_reader
    from kiosk.cli import _config, _fail
    from kiosk.domain import validation
    try:
        validation.text("name", name)
        validation.pin(pin)
    except validation.Invalid as exc:
        raise click.BadParameter(bilingual(exc.message), param_hint=f"--{exc.field}") from exc
    config = _config(ctx)
    try:
        core = build_core(config)
    except KioskError as exc:
        raise _fail(exc) from exc
    reader = build_reader(config)
    reader.start()
    try:
        click.echo(bilingual("Tap the technician's new card on the reader and hold it there"))
        tap = _wait_for_card(reader, timeout)
        tech = core.staff.add(name, pin, by="console")
        try:
            card_no = _write_card(core, reader, tap, tech.id)
        except BaseException:
            core.staff.deactivate(tech.id, "card not written")
            raise
    except (KioskError, validation.Invalid, OSError) as exc:
        message = bilingual(exc.message) if isinstance(exc, validation.Invalid) else str(exc)
        raise click.ClickException(bilingual("Technician not added") + f": {message}") from exc
    finally:
        reader.stop()
        core.db.conn.close()
    click.echo(f"{bilingual('Technician added')}: {tech.name} ({tech.id}), "
               f"{bilingual('Card number')} {card_no}")


def _wait_for_card(reader, timeout: float):
    from kiosk.ports import CardTapped
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        event = reader.next_event(0.5)
        if isinstance(event, CardTapped):
            return event
    raise click.ClickException(bilingual("No card was placed in time"))


def _write_card(core, reader, tap, technician_id: str) -> str:
    from kiosk.adapters.card_io import CardIOError
    from kiosk.domain.card_records import frame
    from kiosk.domain.model import ReadCard
    try:
        record, data = core.desk.prepare("technician", technician_id,
                                         ReadCard(tap.uid, tap.kind, tap.record))
        if reader.write_record(tap.reader, tap.uid, tap.kind, frame(data)) != data:
            raise CardIOError("read back differs from what was written")
    except CardIOError as exc:
        raise click.ClickException(bilingual(
            "The card could not be written. Hold it still on the reader and try again")
            + f" ({exc})") from exc
    return core.desk.issued(record, technician_id, tap.kind, "console").card_no


@technician.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """List this station's technicians, their cards and any PIN lockout.

    Example: kiosk technician list
    """
    from kiosk.cli import _config
    from kiosk.store.database import open_database
    config = _config(ctx)
    db = open_database(config.database)
    try:
        rows = db.execute("""
            SELECT t.id, t.name, t.active, t.locked_until,
                   (SELECT GROUP_CONCAT(card_no) FROM issued_cards c
                    WHERE c.holder_id = t.id AND c.status = 'active')
            FROM technicians t ORDER BY t.name""").fetchall()
    finally:
        db.conn.close()
    if not rows:
        click.echo(bilingual("No technicians yet"))
    for tech_id, name, active, locked_until, cards in rows:
        state = bilingual("active") if active else bilingual("inactive")
        locked = f"  {bilingual('locked until')} {locked_until}" if locked_until else ""
        click.echo(f"{name}  {tech_id}  {state}  {bilingual('Card number')} {cards or '-'}{locked}")


@click.command()
@click.option("--once", is_flag=True, help="Push what is pending now, show progress, then exit.")
@click.pass_context
def sync(ctx: click.Context, once: bool) -> None:
    """Push the signed event log to the county (own process; never blocks check-ins).

    Example: kiosk --config /etc/kiosk/kiosk.toml sync --once
    """
    import signal
    import threading
    from kiosk.adapters.county import CountyRefused, HttpCountyLink
    from kiosk.cli import _config, _logging
    from kiosk.bootstrap import build_core
    from kiosk.config import load_config
    from kiosk.county_wait import wait_for_county
    from kiosk.keys import public_key_from_hex
    from kiosk.roster_pull import pull
    from kiosk.sync import SyncWorker, sync_state
    config = _config(ctx)
    _logging(config.log_level)
    stop, wake = threading.Event(), threading.Event()
    if not once:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: (stop.set(), wake.set()))
        # "sync now"; while no county is configured: re-read the config (systemctl reload)
        for signum in (signal.SIGUSR1, signal.SIGHUP):
            signal.signal(signum, lambda *_: wake.set())
    if not config.county_url:
        if once:
            raise click.ClickException(bilingual("No county configured") + " (county.url)")
        config = wait_for_county(ctx.obj["config_path"], load_config, stop, wake)
        if config is None:
            return
    try:
        core = build_core(config)
    except KioskError as exc:
        raise click.ClickException(str(exc)) from exc
    db, county_key = core.db, public_key_from_hex(config.county_public_key)
    link = HttpCountyLink(config.county_url, ca_bundle=config.county_ca_bundle)

    def roster() -> None:
        applied = pull(core, link, county_key)
        if applied:
            click.echo(f"{bilingual('Roster entries applied')}: {applied}", err=True)

    worker = SyncWorker(db, link, config.station_id, county_key,
                        on_progress=lambda s: click.echo(
                            f"{bilingual('Sent')} {s.acked_seq}/{s.head_seq}", err=True),
                        trigger_dir=config.data_dir, after_push=roster, wake=wake)
    if once:
        try:
            state = worker.push_pending()
            roster()
        except (CountyRefused, OSError, ValueError) as exc:
            raise click.ClickException(bilingual("Sync failed") + f": {exc}") from exc
        finally:
            db.conn.close()
        click.echo(f"{bilingual('In sync')}: {state.acked_seq} ({state.county_time})")
        return
    click.echo(f"{bilingual('Syncing to')} {config.county_url}: "
               f"{sync_state(db).backlog} {bilingual('events waiting')}", err=True)
    worker.run(stop)
    db.conn.close()
