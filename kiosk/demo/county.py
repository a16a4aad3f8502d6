"""The county inside `kiosk demo`: SQLite in the demo's state directory, served by waitress on
127.0.0.1 (the same server `kiosk-county serve` runs), with the demo station and two seeded
neighbours enrolled and a demo officer whom the demo panel signs in with one click.

The station reaches it as it would reach any county: its config names the county's URL and
key, and its sync thread pushes and pulls over loopback HTTP (kiosk/sync/worker.py).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kiosk.county.bootstrap import open_store_at, report_settings, system_clock, wire
from kiosk.county.services import CountyServices, WebSettings
from kiosk.county.services.demo_sign_in import DemoSignIn
from kiosk.keys import StationKey, generate_key_file, load_key_file

OFFICER = "demo-officer"
COUNTY_PORT = 8700  # the demo county's port when it is free (`kiosk-county serve`'s default)
SEEDED = "seeded"  # written once the county's first start is complete
PASSWORD_FILE = "demo-officer-password.txt"


@dataclass
class DemoCounty:
    """The demo's county: its services, the one-click sign-in, and (once ``serve`` ran) its
    server's address."""

    data_dir: Path
    key: StationKey
    services: CountyServices
    sign_in: DemoSignIn
    fresh: bool  # made on this start: the stations and the officer are still to come
    url: str = ""
    _server: Any = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _closed: bool = field(default=False, repr=False)

    @property
    def public_key_hex(self) -> str:
        return self.key.public_bytes().hex()

    @property
    def officer_password(self) -> str:
        return (self.data_dir / PASSWORD_FILE).read_text(encoding="utf-8").strip()

    def set_up(self, station_id: str, station_key: str, seed: Any = None) -> None:
        """On the first start: enrol the demo station, add the demo officer, run ``seed``
        (the neighbours' years), then mark the county as ready."""
        if not self.fresh:
            return
        services = self.services
        services.stations.enroll(station_id, station_key)
        password = secrets.token_urlsafe(12)
        services.users.add("demo", OFFICER, "officer", password)  # no authenticator: a demo
        fd = os.open(self.data_dir / PASSWORD_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(password + "\n")
        if seed is not None:
            seed(services)
        (self.data_dir / SEEDED).write_text(dt.date.today().isoformat() + "\n", encoding="utf-8")
        self.fresh = False

    def serve(self, port: int) -> str:
        """Serve the county on 127.0.0.1:``port`` in a thread; its base URL."""
        import waitress

        from kiosk.county.cli.serve import waitress_settings
        from kiosk.county.web.app import create_county_app
        app = create_county_app(self.services, demo_sign_in=self.sign_in)
        self._server = waitress.create_server(app, host="127.0.0.1", port=port, threads=4,
                                              ident="kiosk-county",
                                              **waitress_settings(100, 15))
        self.url = f"http://127.0.0.1:{self._server.effective_port}"
        self._thread = threading.Thread(target=self._server.run, name="demo-county",
                                        daemon=True)
        self._thread.start()
        return self.url

    def publish_reports(self) -> None:
        """Start the report publisher, as `kiosk-county serve` does (after the seeding, so a
        first start does not publish half a year): it publishes every year with counts now,
        and again a few seconds after each push, so the officer's pages open at once and a
        tap shows up after the next sync."""
        self.services.reports.start()

    def login_url(self, next_path: str = "/") -> str:
        """A one-time link that signs the demo officer in and opens ``next_path``."""
        return (f"{self.url}/demo-login/{self.sign_in.link_token()}"
                f"?next={quote(next_path, safe='/')}")

    def close(self) -> None:
        """Stop serving and the report publisher, and close the store (once)."""
        self.services.reports.stop()
        if self._server is not None:
            self._server.close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = None
        if not self._closed:
            self._closed = True
            self.services.store.close()


def county_port(preferred: int = COUNTY_PORT) -> int:
    """``preferred`` when nothing listens there, otherwise a free port."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress binds
        try:
            probe.bind(("127.0.0.1", preferred))
        except OSError:
            probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def county_config(url: str, public_key_hex: str) -> str:
    """The station config's [county] table for the demo county at ``url``."""
    return f"\n[county]\nurl = \"{url}/\"\npublic_key = \"{public_key_hex}\"\n"


def open_demo_county(state: Path, clock: Any = None, start_over: bool = False) -> DemoCounty:
    """The demo county in ``state``/county: the one a first start left (``seeded``), or a
    new one (a start cut short before that, or ``start_over``, begins again)."""
    data_dir = state / "county"
    fresh = start_over or not (data_dir / SEEDED).exists()
    if fresh and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    key_file = data_dir / "county.key"
    key = generate_key_file(key_file) if fresh else load_key_file(key_file)
    clock = clock or system_clock()
    store = open_store_at(str(data_dir / "county.db"), clock)
    # plain HTTP on loopback, no proxy in front: the session cookie cannot ask for HTTPS, and
    # the client address is the connection's own
    services = wire(store, key, clock, WebSettings(secure_cookies=False, trusted_proxies=0),
                    reports=report_settings(background=True))
    return DemoCounty(data_dir, key, services, DemoSignIn(store, clock, OFFICER), fresh)
