"""Who may reach what, decided once for every request (deny by default).

Each blueprint has an access policy in ``ACCESS``: public, station (signed requests, no
login), or the roles whose logged-in users may reach it. A blueprint without a policy is
refused outright (404), so a page added without a decision is never open. Every POST of the
pages carries the session's CSRF token. Sessions are Flask-Login's, loaded from the county's
server-side session table (kiosk.county.services.users): the cookie holds only a random
token, sent over HTTPS only, never to scripts, never with a request from another site."""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Any

from flask import Flask, abort, current_app, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user

from kiosk.county.domain.users import ABSOLUTE, NAME, ROLES, User
from kiosk.county.web.api import error
from kiosk.county.web.pages import services
from kiosk.protocol.sync import STATION_ID

log = logging.getLogger("kiosk.county")
PUBLIC, STATION = "public", "station"
ANY = frozenset(ROLES)
ACCESS: dict[str, str | frozenset[str]] = {
    "public": PUBLIC,             # /healthz, /api/v1/county-key
    "auth": PUBLIC,               # the login form
    "demo_sign_in": PUBLIC,       # `kiosk demo`'s county only: its one-time loopback link
    "station_events": STATION,    # the station API: station signatures
    "station_roster": STATION,
    "station_restore": STATION,
    "station_visitors": STATION,  # visitor lookups (issue 24)
    "station_card_auth": STATION,  # relayed card authentication (api/card_auth.py)
    "account": ANY,               # home, logout, /metrics, the OpenAPI document
    "admin": frozenset({"admin"}),
    "reports": frozenset({"officer"}),  # service reports, their CSV and printed summaries
    "auditor": frozenset({"auditor"}),
}
METRICS_TOKEN_ENDPOINTS = {"account.metrics"}
PATH_ARGUMENTS = {"station_id": STATION_ID, "name": NAME}
CSRF_FIELD = "csrf_token"


class SessionUser(UserMixin):
    """Flask-Login's user: the county user and the session token the cookie carries."""

    def __init__(self, user: User, token: str):
        self.user, self.token = user, token

    def get_id(self) -> str:
        return self.token

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def role(self) -> str:
        return self.user.role


def csrf_token() -> str:
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def _csrf_ok() -> bool:
    sent = request.form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token", "")
    kept = session.get(CSRF_FIELD, "")
    return bool(kept) and hmac.compare_digest(str(sent), str(kept))


def _metrics_token_ok() -> bool:
    token = services().settings.metrics_token
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def _path_arguments_ok() -> bool:
    """A station id or user name in the path has their form (issue 23, N14): anything else
    (a NUL byte, which PostgreSQL refuses with an error, 300 characters) never reaches a
    service."""
    given = request.view_args or {}
    return all(pattern.fullmatch(str(given[name])) for name, pattern in PATH_ARGUMENTS.items()
               if name in given)


def check_access() -> Any:
    """before_request: the path's arguments, the blueprint's policy, the CSRF token, the
    session and its role."""
    if request.endpoint is None:
        return None  # no such route: Flask answers 404
    if not _path_arguments_ok():
        abort(404)
    policy = ACCESS.get(request.blueprint or "")
    if policy is None:
        log.error("route %s has no access policy: refused", request.endpoint)
        abort(404)
    if policy == STATION:  # a query only where the station's signature covers it
        view = current_app.view_functions.get(request.endpoint)
        if request.query_string and not getattr(view, "signs_query", False):
            return error(400, "malformed", detail="this endpoint takes no query")
        return None
    if request.method == "POST" and not _csrf_ok():
        abort(400, "csrf")
    if policy == PUBLIC:
        return None
    if request.endpoint in METRICS_TOKEN_ENDPOINTS and _metrics_token_ok():
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    if current_user.role not in policy:
        abort(403)
    return None


def install(app: Flask) -> None:
    county = app.extensions["county"]
    app.secret_key = county.key.derived_secret("county-web-session")
    app.config.update(SESSION_COOKIE_NAME="county_session",
                      SESSION_COOKIE_SECURE=county.settings.secure_cookies,
                      SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict",
                      PERMANENT_SESSION_LIFETIME=ABSOLUTE)
    manager = LoginManager(app)
    manager.session_protection = None  # the server-side session decides (ends, timeouts)

    @manager.user_loader
    def load(token: str) -> SessionUser | None:
        user = county.users.session_user(token)
        return SessionUser(user, token) if user is not None else None

    @manager.unauthorized_handler
    def unauthorized() -> Any:
        if request.method == "GET" and not request.path.startswith("/api/"):
            return redirect(url_for("auth.login", next=request.path))
        abort(401)

    app.before_request(check_access)
    app.add_template_global(csrf_token, "csrf_token")
