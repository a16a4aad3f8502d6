"""The demo's one-click sign-in (kiosk/county/services/demo_sign_in.py says why it exists only
in `kiosk demo`): registered by ``create_county_app`` only when it is handed a ``DemoSignIn``,
which no county setting or command does."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask_login import login_user

from kiosk.county.web.pages.auth import safe_next
from kiosk.county.web.pages.guard import CSRF_FIELD, SessionUser, csrf_token

bp = Blueprint("demo_sign_in", __name__)
FORWARDING_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


@bp.get("/demo-login/<token>")
def sign_in(token: str):
    environ = request.environ
    # the connection's own address, before any proxy fix rewrote it
    peer = environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR") or environ.get(
        "REMOTE_ADDR", "")
    forwarded = any(request.headers.get(h) for h in FORWARDING_HEADERS)
    host = urlsplit("//" + request.host).hostname or ""  # 127.0.0.1:8700, [::1]:8700
    result = current_app.extensions["county_demo_sign_in"].sign_in(
        token[:100], peer, host, forwarded)
    if result is None:
        abort(403)
    session.clear()  # a new session, as at any login
    session.pop(CSRF_FIELD, None)
    csrf_token()
    login_user(SessionUser(result.user, result.token))
    return redirect(safe_next(request.args.get("next")) or url_for("account.home"))
