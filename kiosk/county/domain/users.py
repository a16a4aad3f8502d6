"""County users: who they are, what each role may reach, and the rules for their passwords,
sessions and lockouts (docs/county.md, "Logins"). Pure: the hashing and the codes are in
credentials.py, the storage in kiosk/county/store/sql_users.py."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from kiosk.county.domain.errors import UserRefused

ROLES = ("admin", "officer", "auditor")
ROLE_WORK = {
    "admin": "stations (enrol, revoke, replace) and users",
    "officer": "service reports and exports",
    "auditor": "the county's audit trail and the station event browser",
}
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
MIN_PASSWORD, MAX_PASSWORD = 10, 128
COMMON_PASSWORDS = Path(__file__).parent / "data" / "common-passwords.txt"

IDLE = dt.timedelta(minutes=30)        # a session unused this long ends
ABSOLUTE = dt.timedelta(hours=12)      # and every session ends this long after its login
TOUCH_EVERY = dt.timedelta(seconds=60)  # how often a used session's last_seen is written

LOCKOUT_FAILURES = 10                  # failures within LOCKOUT_WINDOW that lock
LOCKOUT_WINDOW = dt.timedelta(minutes=15)
ACCOUNT_SHARE = 3                      # failures one address may add to an account's count


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    password_hash: str
    totp_secret: str | None
    totp_last_step: int | None
    disabled_at: str | None
    created_at: str

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    @property
    def needs_totp(self) -> bool:
        """Admins always; others once they have enrolled an authenticator."""
        return self.role == "admin" or self.totp_secret is not None


@dataclass(frozen=True)
class Session:
    """A login's server-side record; the browser holds only its token (hashed here)."""

    token_hash: str
    user_id: int
    created_at: dt.datetime
    last_seen: dt.datetime
    ended_at: str | None
    address: str

    def live(self, now: dt.datetime) -> bool:
        return (self.ended_at is None and now - self.last_seen <= IDLE
                and now - self.created_at <= ABSOLUTE)

    def due_for_touch(self, now: dt.datetime) -> bool:
        return now - self.last_seen >= TOUCH_EVERY


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise UserRefused("a user name is 2 to 32 lower-case letters, digits, '.', '_' or '-'")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserRefused(f"the role is one of {', '.join(ROLES)}")
    return role


@functools.cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def check_password(password: str, name: str = "") -> str:
    """NIST SP 800-63B's rules: 10 to 128 characters, no composition rules, and not a
    password on the list of common ones (nor the user's own name)."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise UserRefused(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    if password.lower() in common_passwords() or (name and password.lower() == name.lower()):
        raise UserRefused("this password is on the list of common passwords: choose another "
                          "(a few unrelated words make a good one)")
    return password


@dataclass(frozen=True)
class Failures:
    """Failed logins in the last LOCKOUT_WINDOW: for the account tried (counted per address,
    each address adding at most ACCOUNT_SHARE) and from the client's address."""

    account_by_address: dict[str, int]
    address: int

    @property
    def account(self) -> int:
        return sum(min(n, ACCOUNT_SHARE) for n in self.account_by_address.values())

    @property
    def address_blocked(self) -> bool:
        """The address is refused before any password is checked. It bites first: one
        address adds at most ACCOUNT_SHARE failures to an account, so a stranger needs four
        addresses or more to lock one."""
        return self.address >= LOCKOUT_FAILURES

    @property
    def account_locked(self) -> bool:
        """The account then needs its authenticator code too: the right password and a fresh
        TOTP code still sign in (a stranger's failures cannot keep its owner out)."""
        return self.account >= LOCKOUT_FAILURES
