"""The login form (public) and logout. Every login, failed or not, is in the audit trail."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from kiosk.county.services.users import LoggedIn
from kiosk.county.web.pages import services
from kiosk.county.web.pages.guard import CSRF_FIELD, SessionUser, csrf_token

bp = Blueprint("auth", __name__)
MESSAGES = {
    "wrong": "Wrong user name, password or authenticator code",
    "address_blocked": "Too many failed sign-ins from this address: wait 15 minutes",
    "account_locked": "This account is locked after 10 failed sign-ins: sign in with your "
                      "password and authenticator code, or wait 15 minutes",
}


def safe_next(target: str | None) -> str | None:
    """A path on this site only (never //host or /\\host, which browsers read as another site)."""
    if not target or not target.startswith("/") or target[1:2] in ("/", "\\") or len(target) > 200:
        return None
    return target


@bp.get("/login")
def login():
    return render_template("county_login.html", next=safe_next(request.args.get("next")))


@bp.post("/login")
def login_post():
    county = services()
    result = county.users.login(request.form.get("name", "")[:64],
                                request.form.get("password", "")[:256],
                                request.form.get("code", "")[:16], request.remote_addr or "")
    target = safe_next(request.form.get("next"))
    if not isinstance(result, LoggedIn):
        return render_template("county_login.html", error=MESSAGES[result.reason],
                               next=target, name=request.form.get("name", "")[:64]), 401
    session.clear()  # a new session at login: nothing from before survives it
    session.pop(CSRF_FIELD, None)
    csrf_token()
    login_user(SessionUser(result.user, result.token))
    return redirect(target or url_for("account.home"))


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        services().users.logout(current_user.token, current_user.user, request.remote_addr or "")
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))
