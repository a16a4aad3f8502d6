"""How the county answers an error: JSON with a reason for the station API and programs
(malformed input is 400, never 500), a page in both languages for people; an unexpected error
is logged for the operator and answered 503 (a station just retries). A malformed query
parameter (params.BadParameter) is 400 with one warning line, never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from kiosk.county.web.api import error
from kiosk.county.web.params import BadParameter

log = logging.getLogger("kiosk.county")
JSON_BLUEPRINTS = {"public", "station_events", "station_roster", "station_restore"}


def install(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        reason = exc.name.lower().replace(" ", "_")
        if request.blueprint in JSON_BLUEPRINTS or request.path.startswith("/api/"):
            return error(exc.code or 500, reason)
        return render_template("county_error.html", code=exc.code, reason=exc.name), exc.code or 500

    @app.errorhandler(BadParameter)
    def bad_parameter(exc: BadParameter) -> Any:
        log.warning("%s %s: refused, %s", request.method, request.path, str(exc)[:200])
        if request.blueprint in JSON_BLUEPRINTS or request.path.startswith("/api/"):
            return error(400, "malformed", detail=str(exc))
        return render_template("county_error.html", code=400, reason="Bad Request"), 400

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        log.exception("unexpected error on %s", request.path)
        return error(503, "try_again")
