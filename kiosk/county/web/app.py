"""The county's Flask app: blueprints only. The station API (api/), the public endpoints and
the pages for people (pages/) each live in their own blueprint; ``create_county_app`` is
handed the county's services (kiosk/county/bootstrap.py builds them)."""

from __future__ import annotations

import logging

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from kiosk.county.services import CountyServices
from kiosk.county.web.api import error
from kiosk.i18n import bilingual
from kiosk.protocol.sync import MAX_BYTES

log = logging.getLogger("kiosk.county")


def create_county_app(services: CountyServices) -> Flask:
    from kiosk.county.web import public
    from kiosk.county.web.api import events, restore, roster
    from kiosk.county.web.pages import metrics, stations
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BYTES + 4096
    app.extensions["county"] = services
    for blueprint in (public.bp, events.bp, roster.bp, restore.bp, stations.bp, metrics.bp):
        app.register_blueprint(blueprint)
    app.add_template_global(bilingual, "t")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return error(exc.code or 500, exc.name.lower().replace(" ", "_"))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # logged for the operator; the station just retries
        log.exception("unexpected error on %s", request.path)
        return error(503, "try_again")

    return app
