"""What a device on the LAN may ask of the touchscreen's listener (docs/security.md, N15).

``ui.host`` stays 127.0.0.1 unless a waiting-room TV needs ``/display``; then every device on
the LAN reaches this listener. A request from anywhere but the station itself therefore gets
only the display: ``/display``, its own stream ``/display/events`` (numbers and rooms, in slots
of its own), its announcements and its static files. Everything else, the kiosk's screen and
its stream ``/events`` with every check-in included, answers 404 there.
"""

from __future__ import annotations

from flask import Flask, abort, request

from kiosk.web.server import LOCAL

LAN_ENDPOINTS = frozenset({"calling.display", "calling.display_events", "calling.voice"})
LAN_STATIC = frozenset({"display.css", "display.js", "calls.js"})


def station_only() -> None:
    """Before every request: the LAN sees the display and nothing else."""
    if request.remote_addr in LOCAL or request.endpoint in LAN_ENDPOINTS:
        return
    if request.endpoint == "static" and (request.view_args or {}).get("filename") in LAN_STATIC:
        return
    abort(404)


def install(app: Flask) -> None:
    app.before_request(station_only)
