"""How the county answers an error: JSON with a reason for the station API and programs
(malformed input is 400, never 500), a page in both languages for people; an unexpected error
is logged for the operator and answered 503 (a station just retries)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from kiosk.county.web.api import error

log = logging.getLogger("kiosk.county")
JSON_BLUEPRINTS = {"public", "station_events", "station_roster", "station_restore"}


def install(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        reason = exc.name.lower().replace(" ", "_")
        if request.blueprint in JSON_BLUEPRINTS or request.path.startswith("/api/"):
            return error(exc.code or 500, reason)
        return render_template("county_error.html", code=exc.code, reason=exc.name), exc.code or 500

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        log.exception("unexpected error on %s", request.path)
        return error(503, "try_again")
