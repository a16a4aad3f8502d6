"""`kiosk technician ...`: bring up a new station's first technician from the console,
without the county: name, PIN, and a card tapped on the station's reader."""

from __future__ import annotations

import time

import click

from kiosk.cli.common import fail, setup_logging, station_config
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
              help="6 to 8 digits (asked for twice, not shown).")
@click.option("--timeout", default=60.0, show_default=True,
              help="Seconds to wait for the card on the reader.")
@click.pass_context
def add(ctx: click.Context, name: str, pin: str, timeout: float) -> None:
    """Add a technician: PIN, then tap a blank card to become their technician card.

    Example: kiosk --config /etc/kiosk/kiosk.toml technician add --name 赵医生
    """
    from kiosk.bootstrap import build_core, build_reader
    from kiosk.domain import validation
    try:
        validation.text("name", name)
        validation.pin(pin)
    except validation.Invalid as exc:
        raise click.BadParameter(bilingual(exc.message), param_hint=f"--{exc.field}") from exc
    config = station_config(ctx)
    try:
        core = build_core(config)
    except KioskError as exc:
        raise fail(exc) from exc
    reader = build_reader(config, core.card_access)
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
        core.close()
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
    from kiosk.domain.model import ReadCard
    from kiosk.errors import CardIOError
    try:
        return core.desk.issue(
            "technician", technician_id, ReadCard(tap.uid, tap.kind, tap.record, tap.proof),
            lambda framed: reader.write_record(tap.reader, tap.uid, tap.kind, framed),
            "console", personalise=lambda: reader.personalise(tap.reader, tap.uid, tap.kind)
        ).card_no
    except CardIOError as exc:
        raise click.ClickException(bilingual(
            "The card could not be written. Hold it still on the reader and try again")
            + f" ({exc})") from exc


@technician.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """List this station's technicians, their cards and any PIN lockout.

    Example: kiosk technician list
    """
    from kiosk.store.database import connect_readonly
    from kiosk.store.queries import technician_cards
    config = station_config(ctx)
    try:
        db = connect_readonly(config.station.database)
    except KioskError as exc:
        raise fail(exc) from exc
    try:
        rows = technician_cards(db)
    finally:
        db.conn.close()
    if not rows:
        click.echo(bilingual("No technicians yet"))
    for tech_id, name, active, locked_until, blocked_at, cards in rows:
        state = bilingual("active") if active else bilingual("inactive")
        locked = f"  {bilingual('locked until')} {locked_until}" if locked_until else ""
        locked += f"  {bilingual('blocked since')} {blocked_at}" if blocked_at else ""
        click.echo(f"{name}  {tech_id}  {state}  {bilingual('Card number')} {cards or '-'}{locked}")


@technician.command("set-pin")
@click.argument("technician_id")
@click.option("--pin", prompt=True, hide_input=True, confirmation_prompt=True,
              help="6 to 8 digits (asked for twice, not shown).")
@click.pass_context
def set_pin(ctx: click.Context, technician_id: str, pin: str) -> None:
    """Give a technician a new PIN (PINs set before 6-digit PINs keep working until then).

    Example: kiosk technician set-pin tech-3f1c2a9b0d4e
    """
    from kiosk.bootstrap import build_core
    from kiosk.domain import validation
    from kiosk.domain.staff import UnknownTechnician
    try:
        core = build_core(station_config(ctx))
    except KioskError as exc:
        raise fail(exc) from exc
    try:
        core.staff.set_pin(technician_id, pin)
    except validation.Invalid as exc:
        raise click.BadParameter(bilingual(exc.message), param_hint="--pin") from exc
    except UnknownTechnician:
        raise click.ClickException(bilingual("No technician with this id")
                                   + f": {technician_id}") from None
    finally:
        core.close()
    click.echo(f"{bilingual('PIN changed')}: {technician_id}")


@technician.command("unblock")
@click.argument("technician_id")
@click.pass_context
def unblock(ctx: click.Context, technician_id: str) -> None:
    """Unblock a technician blocked (or locked out) after too many wrong PINs.

    Example: kiosk technician unblock tech-3f1c2a9b0d4e
    """
    from kiosk.bootstrap import build_core
    try:
        core = build_core(station_config(ctx))
    except KioskError as exc:
        raise fail(exc) from exc
    try:
        done = core.staff.unblock(technician_id, by="console")
    finally:
        core.close()
    if not done:
        raise click.ClickException(bilingual("No blocked technician with this id")
                                   + f": {technician_id}")
    click.echo(f"{bilingual('Technician unblocked')}: {technician_id}")


@click.command()
@click.option("--once", is_flag=True, help="Kept for scripts: sync always pushes once and exits "
              "(the running station syncs by itself).")
@click.option("--timeout", default=120.0, show_default=True,
              help="Seconds to wait for the running station to finish the push.")
@click.pass_context
def sync(ctx: click.Context, once: bool, timeout: float) -> None:
    """Push the signed event log to the county now and pull the roster, with progress.

    The running station (`kiosk serve`) syncs by itself in its own thread, through its one
    database writer: this command then only asks it to push now and watches. With the station
    stopped, the command does the push itself. Example: kiosk --config /etc/kiosk/kiosk.toml sync --once
    """
    from kiosk.store.writer import station_running
    config = station_config(ctx)
    setup_logging(config.log.level)
    if not config.county.url:
        raise click.ClickException(bilingual("No county configured") + " (county.url)")
    if station_running(config.station.database):
        _through_the_station(config, timeout)
    else:
        _push_here(config)


def _through_the_station(config, timeout: float) -> None:
    """Ask the station's sync thread to push now (the sync-now file), say what it waits for
    and how the push went (the station's answer, sync-result.json), and stop at ``timeout``."""
    from kiosk.store.database import connect_readonly
    from kiosk.store.sync_log import sync_state
    from kiosk.sync.request import new_token, read_result, request_pending, request_sync
    data_dir, county = config.station.data_dir, config.county.url
    db = connect_readonly(config.station.database)
    try:
        before, token = sync_state(db), new_token()
        request_sync(data_dir, token)
        click.echo(bilingual("The station is running: it pushes now") +
                   f" ({before.backlog} {bilingual('events waiting')})", err=True)
        click.echo(bilingual("Waiting for the station's push to the county {county} (at most {seconds} s)",
                             county=county, seconds=f"{timeout:.0f}"), err=True)
        started = time.monotonic()
        shown, taken, next_note = before.acked_seq, False, started + STILL_WAITING_EVERY
        while True:
            state, result = sync_state(db), read_result(data_dir, token)
            if state.acked_seq != shown:
                shown = state.acked_seq
                click.echo(f"{bilingual('Sent')} {state.acked_seq}/{state.head_seq}", err=True)
            if not taken and not request_pending(data_dir):
                taken = True
                click.echo(bilingual("The station took the request and is pushing"), err=True)
            if result is not None and not result.ok:
                raise click.ClickException(bilingual("Sync failed") + ": " + bilingual(
                    "the station could not reach the county {county}: {error}; it tries again by "
                    "itself in {seconds} s", county=county, error=result.error,
                    seconds=f"{result.retry_in_s:.0f}") + f" ({state.acked_seq}/{state.head_seq})")
            if result is not None or (state.backlog == 0 and state.last_sync != before.last_sync):
                click.echo(f"{bilingual('In sync')}: {state.acked_seq} ({state.county_time})")
                return
            now = time.monotonic()
            if now - started > timeout:
                raise click.ClickException(bilingual("Sync failed") + ": " + _still_waiting(
                    taken, county, timeout) + f" ({state.acked_seq}/{state.head_seq})")
            if now > next_note:
                next_note = now + STILL_WAITING_EVERY
                click.echo(bilingual("Still waiting") + f" ({now - started:.0f} s): " +
                           _still_waiting(taken, county, timeout), err=True)
            time.sleep(0.5)
    finally:
        db.conn.close()


STILL_WAITING_EVERY = 10.0  # seconds between "still waiting" lines, so nobody thinks it hangs


def _still_waiting(taken: bool, county: str, timeout: float) -> str:
    """What `kiosk sync` is still waiting for, and where to look."""
    if taken:
        return bilingual("no answer from the county {county} within {seconds} s; the station keeps "
                         "trying (journalctl -u kiosk)", county=county, seconds=f"{timeout:.0f}")
    return bilingual("the station's sync thread has not taken the request within {seconds} s: it is "
                     "still waiting for an earlier push to the county {county} (a county that does "
                     "not answer holds each request up to 20 s), or it has stopped "
                     "(journalctl -u kiosk)", county=county, seconds=f"{timeout:.0f}")


def _push_here(config) -> None:
    """The station is stopped: push and pull on this process's own (the only) writer."""
    from kiosk.bootstrap import build_core, build_sync_worker
    from kiosk.ports import CountyRefused
    from kiosk.sync.worker import LogTruncated
    try:
        core = build_core(config)
    except KioskError as exc:
        raise fail(exc) from exc

    def roster_applied(applied: int) -> None:
        click.echo(f"{bilingual('Roster entries applied')}: {applied}", err=True)

    worker, roster = build_sync_worker(
        core, on_progress=lambda s: click.echo(f"{bilingual('Sent')} {s.acked_seq}/{s.head_seq}",
                                               err=True),
        on_roster=roster_applied)
    try:
        state = worker.push_pending()
        roster()
    except LogTruncated as exc:
        raise click.ClickException(_truncated(exc)) from exc
    except (CountyRefused, OSError, ValueError) as exc:
        raise click.ClickException(bilingual("Sync failed") + f": {exc}") from exc
    finally:
        core.close()
    click.echo(f"{bilingual('In sync')}: {state.acked_seq} ({state.county_time})")


def _truncated(exc) -> str:
    return (bilingual("The event log is shorter than what the county acknowledged; sync refused. "
                      "Run kiosk verify-log and restore the database from a backup") +
            f" ({bilingual('acknowledged')} {exc.acked_seq}, {bilingual('in the log')} "
            f"{exc.head_seq})")
