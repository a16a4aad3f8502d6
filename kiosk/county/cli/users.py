"""`kiosk-county user add|list|disable|passwd|totp|end-sessions`: the county's accounts.

Passwords are asked for twice with the input hidden (or read from standard input with
--password-stdin). An admin's authenticator (TOTP) is enrolled with the account: the command
prints its secret and a QR code for the phone, then asks for the code the phone shows."""

from __future__ import annotations

import sys

import click

from kiosk.county.cli.common import county
from kiosk.county.domain import credentials
from kiosk.county.domain.users import ROLE_WORK, ROLES
from kiosk.county.services.audit import CONSOLE
from kiosk.i18n import bilingual


@click.group()
def user() -> None:
    """County users: admin (stations, users), officer (reports, exports), auditor (the audit
    trail, the station event browser).

    Example: kiosk-county user add li.hua --role officer
    """


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt(bilingual("Password (10 to 128 characters)"), hide_input=True,
                        confirmation_prompt=True)


def _enrol_totp(name: str, secret: str | None, code: str | None) -> tuple[str, str]:
    """(secret, current code): a new secret shown as text and QR unless one is given."""
    if secret is None:
        import segno
        secret = credentials.new_totp_secret()
        uri = credentials.provisioning_uri(secret, name)
        click.echo(f"{bilingual('Scan this with the authenticator app')}:")
        segno.make(uri, micro=False).terminal(compact=True)
        click.echo(f"{bilingual('Or type this secret')}: {secret}")
    if code is None:
        code = click.prompt(bilingual("The 6-digit code it shows now"))
    return secret, code


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="; ".join(f"{role}: {work}" for role, work in ROLE_WORK.items()))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--totp/--no-totp", default=None,
              help="Enrol an authenticator (always for admins, optional for others).")
@click.option("--totp-secret", default=None, help="Use this base32 secret (an existing app entry).")
@click.option("--totp-code", default=None, help="The code the authenticator shows now.")
@click.pass_context
def add(ctx: click.Context, name: str, role: str, password_stdin: bool, totp: bool | None,
        totp_secret: str | None, totp_code: str | None) -> None:
    """Add a county user with a role.

    Example: kiosk-county user add wang.admin --role admin
    """
    with county(ctx) as c:
        password = _password(password_stdin)
        secret, code = None, ""
        if role == "admin" or totp or totp_secret:
            secret, code = _enrol_totp(name, totp_secret, totp_code)
        c.services.users.add(CONSOLE, name, role, password, secret, code)
    click.echo(f"{bilingual('User added')}: {name} ({role})")


@user.command("list")
@click.pass_context
def list_users(ctx: click.Context) -> None:
    """List the county's users: role, authenticator, status and live sessions.

    Example: kiosk-county user list
    """
    with county(ctx) as c:
        for account, sessions in c.services.users.list():
            status = "active" if account.active else f"disabled {account.disabled_at}"
            click.echo(f"{account.name}  {account.role}  totp {'yes' if account.totp_secret else 'no'}"
                       f"  {status}  sessions {sessions}")


@user.command()
@click.argument("name")
@click.pass_context
def disable(ctx: click.Context, name: str) -> None:
    """Disable a user: no more sign-ins, and their live sessions end now.

    Example: kiosk-county user disable li.hua
    """
    with county(ctx) as c:
        ended = c.services.users.disable(CONSOLE, name)
    click.echo(f"{bilingual('User disabled')}: {name} ({ended} sessions ended)")


@user.command()
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def passwd(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Set a user's password (their live sessions end).

    Example: kiosk-county user passwd li.hua
    """
    with county(ctx) as c:
        c.services.users.set_password(CONSOLE, name, _password(password_stdin))
    click.echo(f"{bilingual('Password changed')}: {name}")


@user.command()
@click.argument("name")
@click.option("--off", is_flag=True, help="Remove the authenticator (not for admins).")
@click.option("--totp-secret", default=None, help="Use this base32 secret (an existing app entry).")
@click.option("--totp-code", default=None, help="The code the authenticator shows now.")
@click.pass_context
def totp(ctx: click.Context, name: str, off: bool, totp_secret: str | None,
         totp_code: str | None) -> None:
    """Enrol (or replace, or with --off remove) a user's authenticator app (TOTP).

    Example: kiosk-county user totp li.hua
    """
    with county(ctx) as c:
        if off:
            c.services.users.set_totp(CONSOLE, name, None)
        else:
            secret, code = _enrol_totp(name, totp_secret, totp_code)
            c.services.users.set_totp(CONSOLE, name, secret, code)
    click.echo(f"{bilingual('Authenticator updated')}: {name}")


@user.command("end-sessions")
@click.argument("name")
@click.pass_context
def end_sessions(ctx: click.Context, name: str) -> None:
    """End all of a user's live sessions (they sign in again).

    Example: kiosk-county user end-sessions li.hua
    """
    with county(ctx) as c:
        ended = c.services.users.end_sessions(CONSOLE, name)
    click.echo(f"{bilingual('Sessions ended')}: {name} ({ended})")
