"""Which open page is the kiosk's own screen, so that a tap's secrets reach only it.

A technician's login ticket and form token, and her "my record" link, belong to the screen
in front of the person who tapped: the kiosk's own browser. Every other page (a desk PC's
technician page, any local process that opens the stream) sees the same screens without
them. The kiosk's browser is started on ``/?screen=<launch token>`` (the station writes the
token to a file only the kiosk user reads; kiosk-browser.service passes it on); it then gets
an HttpOnly cookie naming it, and every page it loads gets a fresh per-page token that its
stream must present. Only the newest page of that browser holds the secrets, so an old tab
or a copied page token holds nothing. Both tokens are derived from the station key, so a
station restart does not lock out a browser that keeps running.

``/display`` (the waiting-room TV, no login) gets a display token of its own in its page,
which its stream presents. It is no secret from anyone who can load ``/display``; it marks
the streams that speak the calls, the kiosk's page and /display, which alone get the calls'
voice URLs (kiosk.station.voice_access).
"""

from __future__ import annotations

import secrets
import threading

from kiosk.errors import KioskError

SCREEN_TOKEN_FILE = "screen-token"  # in the data directory, 0600
MAX_SUBSCRIBERS = 8  # open streams besides the kiosk's own page
KIOSK_STREAMS = 2  # the kiosk's page, and its reconnect while the old stream winds down


class TooManyScreens(KioskError, RuntimeError):
    """Every stream slot is taken; the page should try again later."""


class ScreenPages:
    def __init__(self, launch_token: str | None = None, browser_token: str | None = None,
                 display_token: str | None = None):
        self.launch_token = launch_token or secrets.token_urlsafe(24)
        self._kiosk_browser = browser_token or secrets.token_urlsafe(24)
        self.display_token = display_token or secrets.token_urlsafe(24)
        self._kiosk_page: str | None = None
        self._lock = threading.Lock()

    def open_page(self, browser: str | None, launch: str | None) -> tuple[str, str | None]:
        """A page was loaded: (its page token, the browser cookie to set, if it was launched
        with the launch token). A page of the kiosk's browser becomes the kiosk's page."""
        page, cookie = secrets.token_urlsafe(24), None
        if launch and secrets.compare_digest(launch, self.launch_token):
            browser = cookie = self._kiosk_browser
        if browser and secrets.compare_digest(browser, self._kiosk_browser):
            with self._lock:
                self._kiosk_page = page
        return page, cookie

    def reconnect(self, page: str | None, browser: str | None) -> None:
        """A stream of the kiosk's browser came back after a station restart: its page (from
        before the restart) is the kiosk's page again, if no newer one was loaded since."""
        if page and browser and secrets.compare_digest(browser, self._kiosk_browser):
            with self._lock:
                self._kiosk_page = self._kiosk_page or page

    def is_kiosk_page(self, page: str | None, browser: str | None) -> bool:
        """True only for the newest page the kiosk's browser loaded."""
        with self._lock:
            kiosk_page = self._kiosk_page
        return bool(page and browser and kiosk_page
                    and secrets.compare_digest(page, kiosk_page)
                    and secrets.compare_digest(browser, self._kiosk_browser))

    def is_display(self, token: str | None) -> bool:
        """True for the stream of a page /display served."""
        return bool(token) and secrets.compare_digest(token or "", self.display_token)
