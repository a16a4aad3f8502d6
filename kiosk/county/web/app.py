"""The county's Flask app: blueprints only. The station API (api/), the public endpoints and
the pages for people (pages/, each role's in its own blueprint) are registered here;
pages/guard.py decides who reaches which, once, for every request; errors.py how errors are
answered; text.py the pages' two languages."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from kiosk.county.services import CountyServices
from kiosk.county.services.demo_sign_in import DemoSignIn
from kiosk.protocol.sync import MAX_BYTES


def create_county_app(services: CountyServices, demo_sign_in: DemoSignIn | None = None) -> Flask:
    """The county's app; ``demo_sign_in`` only from `kiosk demo`, whose county alone has the
    one-click sign-in (kiosk/county/services/demo_sign_in.py)."""
    from kiosk.county.web import errors, public, text
    from kiosk.county.web.api import card_auth, events, restore, roster, visitors
    from kiosk.county.web.pages import account, admin, auditor, auth, guard, reports
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BYTES + 4096
    app.extensions["county"] = services
    if services.settings.trusted_proxies:  # the client address the login lockout counts
        app.wsgi_app = ProxyFix(app.wsgi_app,  # type: ignore[method-assign]
                                x_for=services.settings.trusted_proxies)
    for blueprint in (public.bp, events.bp, roster.bp, restore.bp, visitors.bp, card_auth.bp,
                      auth.bp, account.bp, admin.bp, reports.bp, auditor.bp):
        app.register_blueprint(blueprint)
    if demo_sign_in is not None:
        from kiosk.county.web.pages import demo_sign_in as demo_pages
        app.extensions["county_demo_sign_in"] = demo_sign_in
        app.register_blueprint(demo_pages.bp)
    guard.install(app)
    errors.install(app)
    text.install(app)
    return app
