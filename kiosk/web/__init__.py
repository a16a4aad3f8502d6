"""The touchscreen UI: a Flask app factory, blueprints, server-rendered Jinja and SSE.

Everything is served by the Pi itself (no CDN, no build step); the page gets
each tap through Server-Sent Events and reconnects by itself after a restart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, request
from flask_babel import Babel, get_locale

from kiosk.config.loader import DEFAULTS
from kiosk.i18n import DEFAULT_LOCALE, LOCALE_DIR, LOCALES
from kiosk.station.hub import ScreenHub

STATIC_DIR = Path(__file__).resolve().parent.parent.parent / "static"


def _session():
    from flask import current_app
    if "kiosk_services" not in current_app.extensions:
        return None
    from kiosk.web.guard import current_session
    return current_session()


def select_locale() -> str:
    chosen = request.cookies.get("lang", DEFAULT_LOCALE)
    return chosen if chosen in LOCALES else DEFAULT_LOCALE


def localdate(iso_date: str) -> str:
    """A date in the reader's language: 2026年12月1日 / Dec 1, 2026."""
    import datetime as dt

    from flask_babel import format_date
    return format_date(dt.date.fromisoformat(iso_date), "medium")


def localtime(iso_instant: str | None) -> str:
    """A stored UTC instant in the station's time zone: 2026-11-29 09:30."""
    import datetime as dt

    from flask_babel import format_datetime
    if not iso_instant:
        return ""
    return format_datetime(dt.datetime.fromisoformat(iso_instant), "yyyy-MM-dd HH:mm")


def create_app(hub: ScreenHub, settings: dict[str, Any] | None = None,
               demo: Any | None = None, services: Any | None = None, desk: bool = False) -> Flask:
    """Build the app: defaults, then ``settings`` (station name, idle seconds, static dir).

    With ``services`` (the station's core, staff desk and spooler) the technician
    pages and her own record view are mounted too. ``desk``: the app the LAN gets over
    HTTPS (kiosk.web.desk): the technician pages with the desk's sessions, and nothing of
    the public screen, her own record view or the demo.
    """
    if desk:
        return _desk_app(hub, settings or {}, services)
    settings = {"STATION_NAME": DEFAULTS.station.name, "IDLE_SECONDS": DEFAULTS.ui.idle_seconds,
                "STAFF_IDLE_SECONDS": DEFAULTS.staff.idle_logout_seconds, **(settings or {})}
    app = Flask(__name__, static_folder=str(settings.pop("STATIC_DIR", STATIC_DIR)),
                static_url_path="/static")
    app.config.update(settings)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(LOCALE_DIR)
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LOCALE
    app.config["BABEL_DEFAULT_TIMEZONE"] = settings.get("TIMEZONE", DEFAULTS.station.timezone)
    app.extensions["kiosk_hub"] = hub
    _common(app)
    from kiosk.web import lan
    lan.install(app)  # a device on the LAN gets /display and nothing else
    from kiosk.web.screen import bp as screen_bp
    app.register_blueprint(screen_bp)
    if services is not None:
        from kiosk.web import calling, me, staff, staff_care, staff_clock, staff_queue, staff_technicians
        from kiosk.web.guard import close_db
        app.extensions["kiosk_services"] = services
        for blueprint in (staff.bp, staff_care.bp, staff_technicians.bp, me.bp, staff_queue.bp,
                          calling.bp, staff_clock.bp):
            app.register_blueprint(blueprint)
        app.teardown_appcontext(close_db)
    if demo is not None:
        from kiosk.web.demo_panel import bp as demo_bp
        app.extensions["kiosk_demo"] = demo
        app.register_blueprint(demo_bp)
    return app


def _common(app: Flask) -> None:
    """Languages, filters and what every template may use, in both apps."""
    Babel(app, locale_selector=select_locale)
    app.add_template_filter(localdate)
    app.add_template_filter(localtime)
    from kiosk.web import labels
    labels.install(app)
    desk_mode = bool(app.config.get("DESK"))

    def desk_seq() -> int:
        from flask import current_app
        return current_app.extensions["kiosk_services"].desk_sessions.last_seq()
    app.context_processor(lambda: {"locale": str(get_locale()), "staff_session": _session(),
                                   "desk_mode": desk_mode, "desk_seq": desk_seq})


def _desk_app(hub: ScreenHub, settings: dict[str, Any], services: Any) -> Flask:
    from flask import redirect, url_for

    from kiosk.web import desk, staff, staff_care, staff_clock, staff_queue, staff_technicians
    from kiosk.web.guard import close_db
    settings = {"STATION_NAME": DEFAULTS.station.name,
                "STAFF_IDLE_SECONDS": DEFAULTS.desk.idle_logout_seconds, **settings}
    app = Flask(__name__, static_folder=str(settings.pop("STATIC_DIR", STATIC_DIR)),
                static_url_path="/static")
    # werkzeug closes each connection, so every request is a TLS handshake: the desk's few
    # static files are cached for a while instead of being asked for on each page
    app.config.update(settings, DESK=True, SESSION_COOKIE_SECURE=True,
                      SEND_FILE_MAX_AGE_DEFAULT=600)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(LOCALE_DIR)
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LOCALE
    app.config["BABEL_DEFAULT_TIMEZONE"] = settings.get("TIMEZONE", DEFAULTS.station.timezone)
    _common(app)
    app.extensions["kiosk_hub"] = hub
    app.extensions["kiosk_services"] = services
    for blueprint in (staff.bp, staff_care.bp, staff_technicians.bp, staff_queue.bp, desk.bp,
                      staff_clock.bp):
        app.register_blueprint(blueprint)
    app.add_url_rule("/", "desk_root", lambda: redirect(url_for("staff.dashboard")))
    app.teardown_appcontext(close_db)

    @app.after_request
    def no_caching(response):
        from flask import request
        if request.endpoint != "static":  # her records stay out of the browser's cache
            response.headers["Cache-Control"] = "no-store"
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
        response.headers["X-Frame-Options"] = "DENY"
        return response
    return app
