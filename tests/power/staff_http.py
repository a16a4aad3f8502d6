"""A technician at the station's staff pages over real HTTP, without a browser: the kiosk's
own screen (launch token, its live stream), a technician card tap for the PIN form's ticket,
the PIN, then staff actions with the session's CSRF token."""

from __future__ import annotations

import http.cookiejar
import json
import queue
import re
import threading
import urllib.parse
import urllib.request


class StaffClient:
    def __init__(self, ui_url: str, screen_url: str):
        self.ui_url = ui_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = self.opener.open(screen_url, timeout=10).read().decode()
        self.page = re.search(r'data-page="([^"]+)"', page).group(1)
        self.tickets: queue.Queue[tuple[str, str]] = queue.Queue()
        self.csrf = ""
        threading.Thread(target=self._stream, daemon=True).start()

    def _stream(self) -> None:
        try:
            with self.opener.open(f"{self.ui_url}events?page={self.page}", timeout=30) as stream:
                for raw in stream:
                    line = raw.decode(errors="replace")
                    if not line.startswith("data:") or "ticket" not in line:
                        continue
                    html = " ".join(str(v) for v in json.loads(line[5:]).values())
                    ticket = re.search(r'name="ticket" value="([^"]+)"', html)
                    csrf = re.search(r'name="csrf" value="([^"]+)"', html)
                    if ticket and csrf:
                        self.tickets.put((ticket.group(1), csrf.group(1)))
        except OSError:
            return  # the station went away (a power cut)

    def login(self, tap, pin: str, timeout: float = 20.0) -> bool:
        """``tap()`` puts the technician's card on the reader; True once the session is open.
        (20 s: a station just booted after a cut, on a CI machine running a virtual station
        beside it, once took more than 5 s to show the PIN page; durability is what this rig
        checks, speed is measured in bench/.)"""
        tap()
        try:
            ticket, csrf = self.tickets.get(timeout=timeout)
        except queue.Empty:
            return False
        page = self.post("staff/login", ticket=ticket, csrf=csrf, pin=pin)
        found = re.search(r'name="csrf" value="([^"]+)"', page[1])
        self.csrf = found.group(1) if found else ""
        return bool(self.csrf)

    def post(self, path: str, **fields: str) -> tuple[str, str]:
        """(final URL after redirects, page)."""
        data = urllib.parse.urlencode({"csrf": self.csrf, **fields}).encode()
        with self.opener.open(self.ui_url + path, data=data, timeout=10) as answer:
            return answer.geturl(), answer.read().decode(errors="replace")

    def register(self, name: str) -> str:
        """A new resident; returns her id once the station showed her record (committed)."""
        url, _ = self.post("staff/residents/new", name=name, birth_date="1980-05-01",
                           village="测试村", phone="", consent="health-data-consent-v1")
        if "/staff/residents/" not in url or url.endswith("/new"):
            raise RuntimeError(f"registration did not go through: {url}")
        return url.rsplit("/", 1)[-1]
