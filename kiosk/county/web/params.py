"""Query parameters of the county's routes, read one strict way (issue 23, N14).

A number is ASCII digits within a stated range (kiosk.protocol.station_requests.whole_number),
and every parameter is given at most once. Anything else raises ``BadParameter``, which
errors.py answers 400: JSON (``malformed``, naming the parameter) for the station API and
programs, a page in both languages for people. Nothing malformed reaches a service or the
database, and nothing about it is logged with a traceback."""

from __future__ import annotations

from flask import request

from kiosk.errors import KioskError
from kiosk.protocol.station_requests import SEQ_MAX, whole_number


class BadParameter(KioskError, ValueError):
    """A query parameter that is not what its route takes (400)."""

    def __init__(self, name: str, why: str):
        super().__init__(f"{name} {why}")
        self.name = name


def text(name: str, default: str) -> str:
    """A parameter as text (``default`` when absent); BadParameter if given twice."""
    values = request.args.getlist(name)
    if len(values) > 1:
        raise BadParameter(name, "is given more than once")
    return values[0] if values else default


def number(name: str, default: int, maximum: int = SEQ_MAX, minimum: int = 0) -> int:
    """A whole number from ``minimum`` to ``maximum`` (``default`` when absent)."""
    given = text(name, "")
    if name not in request.args:
        return default
    value = whole_number(given, maximum)
    if value is None or value < minimum:
        raise BadParameter(name, f"must be a whole number from {minimum} to {maximum}")
    return value


def choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    given = text(name, default)
    if given not in allowed:
        raise BadParameter(name, f"must be one of {', '.join(allowed)}")
    return given
