"""`kiosk-county serve`: the county on waitress, on loopback behind a reverse proxy."""

from __future__ import annotations

import errno
import logging
import sys

import click

from kiosk.county.cli.common import county
from kiosk.errors import ConfigError
from kiosk.i18n import bilingual

log = logging.getLogger("kiosk.county")


def waitress_settings(connection_limit: int, channel_timeout: int) -> dict:
    """waitress's limits, set here rather than left to its defaults (100 connections, idle
    ones kept 120 s, which 110 half-open connections exhaust). Per-address limits belong to
    the reverse proxy in front (docs/deploy.md)."""
    from kiosk.protocol.sync import MAX_BYTES
    return {"connection_limit": connection_limit, "channel_timeout": channel_timeout,
            "cleanup_interval": max(1, min(5, channel_timeout)), "backlog": 1024,
            "asyncore_use_poll": True,  # select() stops at 1024 descriptors
            "max_request_header_size": 16 * 1024, "max_request_body_size": MAX_BYTES + 4096}


def bind_failure(exc: OSError, host: str, port: int) -> str:
    """The one line an operator reads when the address cannot be taken."""
    if exc.errno == errno.EADDRINUSE:
        return bilingual("Port {port} on {host} is already in use: stop what listens there or "
                         "choose another with --port", port=port, host=host)
    return bilingual("Cannot listen on {host}:{port}: {reason}", host=host, port=port,
                     reason=exc.strerror or str(exc))


@click.command()
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
    """Serve the county (station API and pages) with waitress on loopback, behind a reverse
    proxy (nginx) that terminates TLS and limits connections per address (docs/deploy.md).

    Example: kiosk-county serve --host 127.0.0.1 --port 8700
    """
    import waitress
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with county(ctx, background=True) as c:
        try:
            c.services.reports.check_timezone()
        except ConfigError as exc:
            raise click.ClickException(f"{bilingual('Configuration error')}: {exc}") from None
        try:
            server = waitress.create_server(c.app(), host=host, port=port, threads=threads,
                                            ident="kiosk-county",
                                            **waitress_settings(connection_limit, channel_timeout))
        except OSError as exc:
            click.echo(bind_failure(exc, host, port), err=True)
            ctx.exit(1)
        log.info("%s", c.store.backend.describe())
        c.services.reports.start()  # catches the read models up, then publishes the reports
        click.echo(f"county receiver on http://{host}:{port}/", err=True)
        try:
            server.run()
        finally:
            server.close()
