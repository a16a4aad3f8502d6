"""Pages for people (the county's officers), rendered on the server in both languages."""

from __future__ import annotations

from flask import current_app

from kiosk.county.services import CountyServices


def services() -> CountyServices:
    return current_app.extensions["county"]
