"""`kiosk-county rebuild`: the report read models dropped and counted again from the stored
events, then the reports published again."""

from __future__ import annotations

import time

import click

from kiosk.county.cli.common import county
from kiosk.county.projections.report_model import ReportReadModel
from kiosk.i18n import bilingual


@click.command()
@click.pass_context
def rebuild(ctx: click.Context) -> None:
    """Drop the report read models and count them again from every station's stored events
    (by station and seq), then publish the reports again. Needed after changing
    [reports] timezone; safe while the county serves (batches that arrive meanwhile are
    counted once, and the pages keep serving the reports published before until it ends).
    It can take minutes on a large county: each page of events commits on its own. (The
    home stations' read models are not touched: they are rebuilt at start when a migration
    asks for it.)

    Example: kiosk-county rebuild
    """
    with county(ctx) as c:
        started = time.monotonic()
        replayed, published = c.services.reports.rebuild(
            c.services.intake.projections.named(ReportReadModel.name))
        click.echo(bilingual("Report read models rebuilt from {events} events in {seconds} s; "
                             "reports published for {years}", events=replayed,
                             seconds=f"{time.monotonic() - started:.1f}",
                             years=", ".join(map(str, published)) or "-"))
