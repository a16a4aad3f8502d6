"""County users: accounts (kiosk-county user ...), logins and their server-side sessions.

A login checks, in this order: the client address's failures (10 in 15 minutes: refused
before any password is hashed), the password (argon2id), then the authenticator code when
the user needs one (admins; anyone who enrolled) or when the account is locked (10 failures
for the name in 15 minutes): the right password and a fresh code always sign in, so a
stranger's failures cannot keep an officer out (docs/county.md, "Logins"). Failures are
stored, so a restart lifts nothing. A session is a random token in the browser's cookie and
its SHA-256 here; it ends after 30 minutes unused, 12 hours after login, at logout, when its
user is disabled or changes password, or when an admin ends it."""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass

from kiosk.county.domain import credentials
from kiosk.county.domain.clock import Clock, stamp
from kiosk.county.domain.errors import UnknownUser, UserRefused
from kiosk.county.domain.users import LOCKOUT_WINDOW, NAME, User, check_name, check_password, check_role
from kiosk.county.services.audit import Audit
from kiosk.county.store.base import Writing
from kiosk.county.store.sql import SqlCountyStore

HASHING_AT_ONCE = 2  # argon2id takes 64 MiB each: a burst of logins waits instead of swapping


@dataclass(frozen=True)
class LoggedIn:
    token: str  # for the browser's session cookie only; stored as its SHA-256
    user: User


@dataclass(frozen=True)
class LoginRefused:
    reason: str  # "wrong", "address_blocked", "account_locked"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CountyUsers:
    def __init__(self, store: SqlCountyStore, clock: Clock, audit: Audit):
        self.store, self.clock, self.audit = store, clock, audit
        self._hashing = threading.BoundedSemaphore(HASHING_AT_ONCE)

    def _user(self, name: str) -> User:
        user = self.store.user_by_name(name)
        if user is None:
            raise UnknownUser(f"no county user {name!r} (kiosk-county user list)")
        return user

    def _hash(self, password: str) -> str:
        with self._hashing:
            return credentials.hash_password(password)

    # -- accounts (kiosk-county user ...) --------------------------------------------------
    def add(self, actor: User | str, name: str, role: str, password: str,
            totp_secret: str | None = None, totp_code: str = "") -> User:
        """A new account; an admin's needs its authenticator enrolled at once (secret and a
        current code from it)."""
        check_name(name), check_role(role), check_password(password, name)
        if self.store.user_by_name(name) is not None:
            raise UserRefused(f"a user {name!r} exists already")
        step = None
        if role == "admin" or totp_secret:
            step = self._confirm_code(totp_secret, totp_code)
        hashed, at = self._hash(password), stamp(self.clock.now())

        def add(tx: Writing) -> None:
            tx.add_user(name, role, hashed, totp_secret, at)
            created = tx.user_by_name(name)
            if step is not None and created is not None:
                tx.use_totp_step(created.id, step)
        self.store.write(add)
        self.audit.record(actor, "user.added", name, detail=role)
        return self._user(name)

    def _confirm_code(self, secret: str | None, code: str) -> int:
        if not secret:
            raise UserRefused("an admin needs an authenticator (TOTP): scan the code, then give "
                              "the 6 digits it shows")
        try:
            step = credentials.totp_step(secret, code, self.clock.now(), None)
        except ValueError:  # not base32, or shorter than 112 bits
            raise UserRefused("that authenticator secret is not a base32 secret of at least 112 "
                              "bits: let the command make one") from None
        if step is None:
            raise UserRefused("that authenticator code is not the current one: check the phone's "
                              "clock and try again")
        return step

    def set_password(self, actor: User | str, name: str, password: str) -> None:
        """A new password; the user's sessions end (a password change is often a suspicion)."""
        user = self._user(name)
        check_password(password, name)
        hashed, at = self._hash(password), stamp(self.clock.now())

        def change(tx: Writing) -> None:
            tx.set_password(user.id, hashed)
            tx.end_user_sessions(user.id, at)
        self.store.write(change)
        self.audit.record(actor, "user.password_changed", name)

    def set_totp(self, actor: User | str, name: str, secret: str | None, code: str = "") -> None:
        """Enrol an authenticator (``secret`` and a current code), or remove it (None: not
        for admins, who always need one)."""
        user = self._user(name)
        if secret is None and user.role == "admin":
            raise UserRefused("an admin always needs an authenticator")
        step = None if secret is None else self._confirm_code(secret, code)
        self.store.write(lambda tx: tx.set_totp(user.id, secret, step))
        self.audit.record(actor, "user.totp_enrolled" if secret else "user.totp_removed", name)

    def disable(self, actor: User | str, name: str) -> int:
        """The account can no longer sign in and its live sessions end; how many ended."""
        user, at = self._user(name), stamp(self.clock.now())

        def disable(tx: Writing) -> int:
            tx.disable_user(user.id, at)
            return tx.end_user_sessions(user.id, at)
        ended = self.store.write(disable)
        self.audit.record(actor, "user.disabled", name, detail=f"{ended} sessions ended")
        return ended

    def end_sessions(self, actor: User | str, name: str, address: str = "") -> int:
        user, at = self._user(name), stamp(self.clock.now())
        ended = self.store.write(lambda tx: tx.end_user_sessions(user.id, at))
        self.audit.record(actor, "sessions.ended", name, address, f"{ended} sessions ended")
        return ended

    def list(self) -> list[tuple[User, int]]:
        """Every account with its number of sessions not yet ended."""
        return [(u, self.store.live_sessions(u.id)) for u in self.store.users()]

    # -- logins and sessions ---------------------------------------------------------------
    def login(self, name: str, password: str, code: str, address: str) -> LoggedIn | LoginRefused:
        now = self.clock.now()
        account = name.strip().lower()[:64]
        failures = self.store.failures(account, address, stamp(now - LOCKOUT_WINDOW))
        if failures.address_blocked:  # nothing hashed, nothing written: a flood costs nothing
            return LoginRefused("address_blocked")
        user = self.store.user_by_name(account) if NAME.match(account) else None
        with self._hashing:
            matches = credentials.password_matches(
                user.password_hash if user else credentials.DUMMY_HASH, password)
        ok = matches and user is not None and user.active
        step = None
        if ok and user is not None and (user.needs_totp or failures.account_locked):
            if user.totp_secret is None:  # locked, and no code to pass the lock with
                ok = False
            else:
                step = credentials.totp_step(user.totp_secret, code, now, user.totp_last_step)
                ok = step is not None
        if ok and user is not None and (session := self._start(user, step, address)) is not None:
            if credentials.needs_rehash(user.password_hash):
                self.store.write(lambda tx: tx.set_password(user.id, self._hash(password)))
            return session
        # one answer for every failure of a locked account: no oracle for the password
        reason = "account_locked" if failures.account_locked else "wrong"
        self._failed(account, address, reason)
        return LoginRefused(reason)

    def _start(self, user: User, step: int | None, address: str) -> LoggedIn | None:
        token, at = secrets.token_urlsafe(32), stamp(self.clock.now())

        def start(tx: Writing) -> bool:
            if step is not None and not tx.use_totp_step(user.id, step):
                return False  # the same code, used a moment ago
            tx.start_session(token_hash(token), user.id, at, address)
            tx.audit(at, user.name, user.role, "login", "", address[:64], "")
            return True
        return LoggedIn(token, user) if self.store.write(start) else None

    def _failed(self, account: str, address: str, reason: str) -> None:
        now = self.clock.now()
        at, prune = stamp(now), stamp(now - 4 * LOCKOUT_WINDOW)

        def failed(tx: Writing) -> None:
            tx.record_failure(account, address, at, prune)
            tx.audit(at, account, "", "login.failed", "", address[:64], reason)
        self.store.write(failed)

    def session_user(self, token: str) -> User | None:
        """The user of a live session (its last use noted at most once a minute), or None."""
        now, hashed = self.clock.now(), token_hash(token)
        session = self.store.session(hashed)
        if session is None or not session.live(now):
            return None
        user = self.store.user_by_id(session.user_id)
        if user is None or not user.active:
            return None
        if session.due_for_touch(now):
            at = stamp(now)
            self.store.write(lambda tx: tx.touch_session(hashed, at))
        return user

    def logout(self, token: str, user: User, address: str) -> None:
        at = stamp(self.clock.now())

        def logout(tx: Writing) -> None:
            tx.end_session(token_hash(token), at)
            tx.audit(at, user.name, user.role, "logout", "", address[:64], "")
        self.store.write(logout)
