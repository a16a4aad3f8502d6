"""The county's Flask app: blueprints only. The station API (api/), the public endpoints
and the pages for people (pages/, each role's in its own blueprint) are registered here;
pages/guard.py decides who reaches which, once, for every request."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from kiosk.county.services import CountyServices
from kiosk.county.web.api import error
from kiosk.county.web.pages import guard
from kiosk.i18n import DEFAULT_LOCALE, bilingual, gettext_for
from kiosk.protocol.sync import MAX_BYTES

log = logging.getLogger("kiosk.county")
JSON_BLUEPRINTS = {"public", "station_events", "station_roster", "station_restore"}


def both(message: str) -> Markup:
    """Chinese first, then English marked as English (WCAG 3.1.2, language of parts)."""
    chinese = gettext_for(DEFAULT_LOCALE, message)
    if chinese == message:
        return Markup('<span lang="en">{}</span>').format(message)
    return Markup('{} <span lang="en">/ {}</span>').format(escape(chinese), message)


def create_county_app(services: CountyServices) -> Flask:
    from kiosk.county.web import public
    from kiosk.county.web.api import events, restore, roster
    from kiosk.county.web.pages import account, admin, auditor, auth, officer
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BYTES + 4096
    app.extensions["county"] = services
    if services.settings.trusted_proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=services.settings.trusted_proxies)  # type: ignore[method-assign]
    for blueprint in (public.bp, events.bp, roster.bp, restore.bp, auth.bp, account.bp, admin.bp,
                      officer.bp, auditor.bp):
        app.register_blueprint(blueprint)
    guard.install(app)
    app.add_template_global(bilingual, "t")
    app.add_template_global(both, "tt")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        reason = exc.name.lower().replace(" ", "_")
        if request.blueprint in JSON_BLUEPRINTS or request.path.startswith("/api/"):
            return error(exc.code or 500, reason)
        return render_template("county_error.html", code=exc.code, reason=exc.name), exc.code or 500

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # logged for the operator; the station just retries
        log.exception("unexpected error on %s", request.path)
        return error(503, "try_again")

    return app
