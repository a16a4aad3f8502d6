"""County logins on SQLite and PostgreSQL: a TOTP code works once; lockouts are stored (a
restart lifts none) and a stranger cannot lock an officer out; disabling a user or an admin's
"end sessions" ends a live session; sessions end when idle or old; a new session at every
login; passwords by the rules; every login in the audit trail, shown to auditors."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from click.testing import CliRunner

from kiosk.county.domain.errors import UserRefused
from kiosk.county.domain.users import common_passwords


def signed_in(web, client) -> bool:
    response = client.get("/")
    return response.status_code == 302 and not response.headers["Location"].startswith("/login")


def test_a_totp_code_works_once(county_web):
    web = county_web
    web.clock.advance(seconds=30)
    code = web.code()
    first, second = web.client("10.1.0.1"), web.client("10.1.0.2")
    assert web.login(first, "ada", code=code).status_code == 302 and signed_in(web, first)
    refused = web.login(second, "ada", code=code)  # the same code again, even at once
    assert refused.status_code == 401 and not signed_in(web, second)
    assert web.login(second, "ada").status_code == 302  # the next step's code
    assert web.login(web.client("10.1.0.3"), "ada", code="").status_code == 401  # admins need one


def test_lockout_per_address_bites_first_and_survives_a_restart(county_web):
    web = county_web
    web.clock.advance(hours=1)
    stranger = web.client("10.2.0.66")
    for _ in range(10):
        assert web.login(stranger, "olga", password="not the password!").status_code == 401
    blocked = web.login(stranger, "olga")  # even with the right password, from that address
    assert blocked.status_code == 401 and b"15" in blocked.data
    officer = web.client("10.2.0.7")
    assert web.login(officer, "olga").status_code == 302  # her own address: in
    web.reopen()  # a restart lifts nothing
    assert web.login(web.client("10.2.0.66"), "olga").status_code == 401
    web.clock.advance(minutes=16)
    assert web.login(web.client("10.2.0.66"), "olga").status_code == 302


def test_an_account_lockout_is_passed_with_the_password_and_a_code(county_web):
    web = county_web
    web.clock.advance(hours=1)
    for n in range(10):  # a stranger with ten addresses tries the admin's password
        web.login(web.client(f"10.3.0.{n}"), "ada", password="guessing again", code="000000")
    web.reopen()
    right_password_wrong_code = web.login(web.client("10.3.0.20"), "ada", code="000000")
    wrong_password = web.login(web.client("10.3.0.21"), "ada", password="guessing still")
    def alert(response) -> str:
        return response.get_data(as_text=True).split('role="alert"')[1].split("</p>")[0]
    assert alert(right_password_wrong_code) == alert(wrong_password)  # no oracle while locked
    assert "锁定".encode() in wrong_password.data
    web.clock.advance(seconds=30)
    assert web.login(web.client("10.3.1.1"), "ada").status_code == 302  # password + code: in
    for n in range(10):  # and the officer without an authenticator: locked for 15 minutes
        web.login(web.client(f"10.3.2.{n}"), "olga", password="guessing again")
    locked = web.login(web.client("10.3.3.1"), "olga")
    assert locked.status_code == 401 and "锁定".encode() in locked.data
    web.services.users.set_totp("console", "olga", web.TOTP, web.code())  # she enrols one
    web.clock.advance(seconds=30)
    assert web.login(web.client("10.3.3.1"), "olga", code=web.code()).status_code == 302
    web.services.users.set_totp("console", "olga", None)


def test_disabling_a_user_ends_their_live_session(county_web, tmp_path):
    web = county_web
    web.clock.advance(hours=1)
    web.services.users.add("console", "tmp.officer", "officer", web.PASSWORD)
    officer, admin = web.client("10.4.0.1"), web.client("10.4.0.2")
    assert web.login(officer, "tmp.officer").status_code == 302
    assert officer.get("/reports").status_code == 200
    assert web.login(admin, "ada").status_code == 302
    assert web.post(admin, "/users/tmp.officer/disable").status_code == 302
    assert officer.get("/reports").status_code == 302  # to the login page
    assert web.login(web.client("10.4.0.3"), "tmp.officer").status_code == 401


def test_an_admin_ends_anyones_sessions_and_sessions_time_out(county_web):
    web = county_web
    web.clock.advance(hours=1)
    officer, admin = web.client("10.5.0.1"), web.client("10.5.0.2")
    web.login(officer, "olga"), web.login(admin, "ada")
    assert web.post(admin, "/users/olga/end-sessions").status_code == 302
    assert not signed_in(web, officer)
    web.login(officer, "olga")
    web.clock.advance(minutes=29)
    assert signed_in(web, officer)
    web.clock.advance(minutes=31)  # 30 minutes unused
    assert not signed_in(web, officer)
    web.login(officer, "olga")
    import datetime as dt
    since = web.clock.now()
    for _ in range(40):  # busy all day: still out 12 hours after the login
        web.clock.advance(minutes=20)
        if not signed_in(web, officer):
            break
    assert dt.timedelta(hours=12) < web.clock.now() - since <= dt.timedelta(hours=12, minutes=20)


def test_a_new_session_at_login_and_csrf_on_post(county_web):
    web = county_web
    web.clock.advance(hours=1)
    client = web.client("10.6.0.1")
    client.get("/login")
    before = client.get_cookie("county_session").value
    web.login(client, "olga")
    after = client.get_cookie("county_session")
    assert after.value != before and after.secure and after.http_only
    assert after.same_site == "Strict"
    assert client.post("/logout").status_code == 400  # no CSRF token: refused
    assert signed_in(web, client)
    assert web.post(client, "/logout").status_code == 302 and not signed_in(web, client)
    stolen = web.client("10.6.0.9")
    stolen.set_cookie("county_session", after.value)  # the cookie from before the logout
    assert not signed_in(web, stolen)


def test_password_rules_and_argon2_parameters(county_web):
    users = county_web.services.users
    assert len(common_passwords()) >= 3000
    for bad in ("short", "mq7#vk2@z", "x" * 129, "qwertyuiop", "1234567890", "newuser01x"):
        with pytest.raises(UserRefused):  # 9 and 129 characters: just outside 10 to 128
            users.add("console", "newuser01x", "auditor", bad)
    users.add("console", "ten.chars", "auditor", "mq7#vk2@zw")  # exactly 10
    users.add("console", "long.chars", "auditor", "mq7#vk2@zw" * 12 + "abcdefgh")  # exactly 128
    user = users.add("console", "long.words", "auditor", "壁纸 river lantern 七")
    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    with pytest.raises(UserRefused):  # an admin without an authenticator
        users.add("console", "admin2", "admin", county_web.PASSWORD)


def test_logins_and_views_are_in_the_audit_trail_shown_to_auditors(county_web):
    web = county_web
    web.clock.advance(hours=1)
    web.login(web.client("10.7.0.1"), "olga", password="wrong password!")
    auditor = web.client("10.7.0.2")
    web.login(auditor, "aud")
    assert auditor.get("/events/st-1").status_code == 200
    page = auditor.get("/audit").get_data(as_text=True)
    assert "login.failed" in page and "10.7.0.1" in page
    assert "events.viewed" in page and ">login<" in page
    entries = web.store.audit_entries(5)
    raw = (psycopg.connect(web.database, autocommit=True) if web.database.startswith("postgresql")
           else sqlite3.connect(web.database))
    try:
        for statement in ("DELETE FROM county_audit", "UPDATE county_audit SET actor = 'x'"):
            with pytest.raises((sqlite3.DatabaseError, psycopg.Error)):  # append-only
                raw.execute(statement)
    finally:
        raw.close()
    assert web.store.audit_entries(5) == entries


def test_user_commands(tmp_path):
    import datetime as dt

    from kiosk.county.cli import main
    from kiosk.county.domain.credentials import code_at
    data = ["--data-dir", str(tmp_path)]
    runner = CliRunner()
    assert runner.invoke(main, [*data, "init"]).exit_code == 0
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    added = runner.invoke(main, [*data, "user", "add", "wang.admin", "--role", "admin",
                                 "--password-stdin", "--totp-secret", secret, "--totp-code",
                                 code_at(secret, dt.datetime.now(dt.UTC))],
                          input="a long enough passphrase\n")
    assert added.exit_code == 0, added.output
    short = runner.invoke(main, [*data, "user", "add", "li", "--role", "officer",
                                 "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "10 to 128" in short.output
    assert runner.invoke(main, [*data, "user", "add", "li.hua", "--role", "officer",
                                "--password-stdin"], input="another long passphrase\n").exit_code == 0
    listed = runner.invoke(main, [*data, "user", "list"]).output
    assert "wang.admin  admin  totp yes  active" in listed and "li.hua  officer  totp no" in listed
    assert runner.invoke(main, [*data, "user", "disable", "li.hua"]).exit_code == 0
    assert "li.hua  officer  totp no  disabled" in runner.invoke(main, [*data, "user", "list"]).output
    for command in main.commands.values():
        assert command.help and "Example:" in command.help, command.name
    for command in main.commands["user"].commands.values():  # type: ignore[attr-defined]
        assert command.help and "Example:" in command.help, command.name
