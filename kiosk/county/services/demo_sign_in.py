"""The demo's one-click sign-in: a one-time link that signs the demo officer in, for the county
that `kiosk demo` runs inside its own process, and for nothing else.

Why it cannot be switched on outside the demo, guard by guard:

- **Not a setting.** No county.toml key, command-line option or environment variable makes
  it: the only way in is code that builds the county app itself and hands ``DemoSignIn`` to
  ``create_county_app``. ``kiosk-county serve`` (``County.app()``) never does, so a county
  server has no such route at all (404; tests/demo/test_demo_sign_in.py).
- **One officer, never more.** It signs in only the account it was made for, only while that
  account is an active ``officer`` without an authenticator (TOTP): never an admin or an
  auditor, never a real officer's account that has one.
- **One-time, short-lived, in memory.** Each link holds 32 random bytes, kept here only as
  their SHA-256, usable once and within ``LINK_SECONDS``; a restart forgets them all.
- **Loopback only.** The link works only for a browser on the same machine: the connection's
  own address must be loopback (never a forwarded one: a request that came through a proxy
  is refused) and so must the host it asked for (a DNS-rebinding page gets nothing).

Every sign-in through it is a ``login`` entry in the audit trail, marked "demo link".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import secrets
import threading

from kiosk.county.domain.clock import Clock, stamp
from kiosk.county.domain.errors import UserRefused
from kiosk.county.domain.users import User
from kiosk.county.services.users import LoggedIn, token_hash
from kiosk.county.store.base import Writing
from kiosk.county.store.sql import SqlCountyStore

LINK_SECONDS = 120
MAX_LINKS = 32  # links not yet used; the oldest goes first
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class DemoSignIn:
    def __init__(self, store: SqlCountyStore, clock: Clock, officer: str):
        self.store, self.clock, self.officer = store, clock, officer
        self._links: dict[str, dt.datetime] = {}  # SHA-256 of a link's token -> its expiry
        self._lock = threading.Lock()

    def _user(self) -> User:
        """The demo officer as an account this may sign in, or UserRefused."""
        user = self.store.user_by_name(self.officer)
        if user is None or not user.active or user.role != "officer" or user.totp_secret:
            raise UserRefused(f"{self.officer!r} is not an active officer without an "
                              "authenticator: the demo link signs in no one else")
        return user

    def link_token(self) -> str:
        """A new one-time token for the demo panel's link."""
        self._user()
        token = secrets.token_urlsafe(32)
        expires = self.clock.now() + dt.timedelta(seconds=LINK_SECONDS)
        with self._lock:
            while len(self._links) >= MAX_LINKS:
                self._links.pop(next(iter(self._links)))
            self._links[hashlib.sha256(token.encode()).hexdigest()] = expires
        return token

    def _take(self, token: str) -> bool:
        """Use the token up; whether it was a live one."""
        with self._lock:  # looked up by its hash: no timing tells a token's first characters
            expires = self._links.pop(hashlib.sha256(token.encode()).hexdigest(), None)
        return expires is not None and self.clock.now() <= expires

    def sign_in(self, token: str, peer: str, host: str, forwarded: bool) -> LoggedIn | None:
        """A session for the demo officer, or None: not loopback (``peer``, the connection's
        own address, and ``host``, the name the browser asked for), through a proxy, or not
        a live link."""
        if forwarded or not is_loopback(peer) or host not in LOOPBACK_HOSTS:
            return None
        if not self._take(token):
            return None
        try:
            user = self._user()
        except UserRefused:
            return None
        session, at = secrets.token_urlsafe(32), stamp(self.clock.now())

        def start(tx: Writing) -> None:
            tx.start_session(token_hash(session), user.id, at, peer)
            tx.audit(at, user.name, user.role, "login", "", peer[:64], "demo link")
        self.store.write(start)
        return LoggedIn(session, user)
