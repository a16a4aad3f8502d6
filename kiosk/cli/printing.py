"""`kiosk print-test`: a sample receipt, or the station's enrolment slip, on paper."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk.cli.common import fail, station_config
from kiosk.errors import KioskError


@click.command("print-test")
@click.option("--capture", is_flag=True, help="Print to a built-in capture printer and show "
              "what came out, instead of the configured printer.")
@click.option("--save", type=click.Path(file_okay=False), help="With --capture: save raster "
              "lines as PNG files in this folder.")
@click.option("--charset", type=click.Choice(["gb18030", "gbk", "gb2312", "ascii"]),
              default="gb18030", show_default=True, help="With --capture: the printer font's charset.")
@click.option("--enrolment", is_flag=True, help="Print the station's enrolment slip instead: "
              "station id, key fingerprint and the QR code the county scans.")
@click.pass_context
def print_test(ctx: click.Context, capture: bool, save: str | None, charset: str,
               enrolment: bool) -> None:
    """Print a sample receipt (Chinese text, a rare character, the big queue number).

    Example: kiosk print-test            (or: kiosk print-test --capture --save /tmp/receipt)
    """
    from kiosk.ops.print_sample import enrolment_receipt, print_sample
    try:
        config = station_config(ctx) if (enrolment or not capture) else None
        receipt = enrolment_receipt(config) if enrolment and config else None
        for line in print_sample(None if capture else config, Path(save) if save else None,
                                 charset, receipt):
            click.echo(line)
    except KioskError as exc:
        raise fail(exc) from exc
