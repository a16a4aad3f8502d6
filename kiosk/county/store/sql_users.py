"""The county users' SQL: accounts, sessions, failed logins and the append-only audit trail.
Mixed into SqlCountyStore (reads) and SqlWriting (writes) in sql.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.county.domain.clock import parse_stamp
from kiosk.county.domain.users import Failures, Session, User
from kiosk.county.store.base import Connection

USER_COLUMNS = ("id, name, role, password_hash, totp_secret, totp_last_step, disabled_at, "
                "created_at")
SESSION_COLUMNS = "token_hash, user_id, created_at, last_seen, ended_at, address"
AUDIT_COLUMNS = "id, at, actor, role, action, subject, address, detail"


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    role: str
    action: str
    subject: str
    address: str
    detail: str


def _user(row: tuple | None) -> User | None:
    return User(*row) if row else None


def _session(row: tuple) -> Session:
    created, seen = parse_stamp(row[2]), parse_stamp(row[3])
    assert created is not None and seen is not None
    return Session(row[0], row[1], created, seen, row[4], row[5])


class UserQueries:
    """Reads shared by the store (its reader) and a transaction (its connection)."""

    def _users_conn(self) -> Connection:
        raise NotImplementedError

    def user_by_name(self, name: str) -> User | None:
        return _user(self._users_conn().execute(
            f"SELECT {USER_COLUMNS} FROM county_users WHERE name = ?", (name,)).fetchone())

    def user_by_id(self, user_id: int) -> User | None:
        return _user(self._users_conn().execute(
            f"SELECT {USER_COLUMNS} FROM county_users WHERE id = ?", (user_id,)).fetchone())

    def users(self) -> list[User]:
        return [User(*row) for row in self._users_conn().execute(
            f"SELECT {USER_COLUMNS} FROM county_users ORDER BY name").fetchall()]

    def session(self, token_hash: str) -> Session | None:
        row = self._users_conn().execute(
            f"SELECT {SESSION_COLUMNS} FROM county_sessions WHERE token_hash = ?",
            (token_hash,)).fetchone()
        return _session(row) if row else None

    def live_sessions(self, user_id: int) -> int:
        return self._users_conn().execute(
            "SELECT COUNT(*) FROM county_sessions WHERE user_id = ? AND ended_at IS NULL",
            (user_id,)).fetchone()[0]

    def failures(self, account: str, address: str, since: str) -> Failures:
        conn = self._users_conn()
        by_account = dict(conn.execute("SELECT address, COUNT(*) FROM login_failures WHERE "
                                       "account = ? AND at >= ? GROUP BY address",
                                       (account, since)).fetchall())
        by_address = conn.execute("SELECT COUNT(*) FROM login_failures WHERE address = ? AND "
                                  "at >= ?", (address, since)).fetchone()[0]
        return Failures(by_account, by_address)

    def audit_entries(self, limit: int = 100, before: int | None = None) -> list[AuditEntry]:
        rows = self._users_conn().execute(
            f"SELECT {AUDIT_COLUMNS} FROM county_audit WHERE id < ? ORDER BY id DESC LIMIT ?",
            (before if before is not None else 2**62, limit)).fetchall()
        return [AuditEntry(*row) for row in rows]


class UserReads(UserQueries):
    def _read(self) -> Connection:
        raise NotImplementedError

    def _users_conn(self) -> Connection:
        return self._read()


class UserWrites(UserQueries):
    _conn: Any

    def _users_conn(self) -> Connection:
        return self._conn

    def add_user(self, name: str, role: str, password_hash: str, totp_secret: str | None,
                 at: str) -> None:
        self._conn.execute("INSERT INTO county_users (name, role, password_hash, totp_secret, "
                          "created_at) VALUES (?, ?, ?, ?, ?)",
                          (name, role, password_hash, totp_secret, at))

    def set_password(self, user_id: int, password_hash: str) -> None:
        self._conn.execute("UPDATE county_users SET password_hash = ? WHERE id = ?",
                          (password_hash, user_id))

    def set_totp(self, user_id: int, secret: str | None, last_step: int | None) -> None:
        self._conn.execute("UPDATE county_users SET totp_secret = ?, totp_last_step = ? "
                          "WHERE id = ?", (secret, last_step, user_id))

    def use_totp_step(self, user_id: int, step: int) -> bool:
        """Record a code's step; False when it (or a later one) was used already."""
        return self._conn.execute(
            "UPDATE county_users SET totp_last_step = ? WHERE id = ? AND "
            "(totp_last_step IS NULL OR totp_last_step < ?)", (step, user_id, step)).rowcount == 1

    def disable_user(self, user_id: int, at: str) -> None:
        self._conn.execute("UPDATE county_users SET disabled_at = ? WHERE id = ? AND "
                          "disabled_at IS NULL", (at, user_id))

    def start_session(self, token_hash: str, user_id: int, at: str, address: str) -> None:
        self._conn.execute(f"INSERT INTO county_sessions ({SESSION_COLUMNS}) VALUES "
                          "(?, ?, ?, ?, NULL, ?)", (token_hash, user_id, at, at, address))

    def touch_session(self, token_hash: str, at: str) -> None:
        self._conn.execute("UPDATE county_sessions SET last_seen = ? WHERE token_hash = ? AND "
                          "ended_at IS NULL", (at, token_hash))

    def end_session(self, token_hash: str, at: str) -> None:
        self._conn.execute("UPDATE county_sessions SET ended_at = ? WHERE token_hash = ? AND "
                          "ended_at IS NULL", (at, token_hash))

    def end_user_sessions(self, user_id: int, at: str) -> int:
        return self._conn.execute("UPDATE county_sessions SET ended_at = ? WHERE user_id = ? AND "
                                 "ended_at IS NULL", (at, user_id)).rowcount

    def record_failure(self, account: str, address: str, at: str, prune_before: str) -> None:
        """A failed login; failures older than ``prune_before`` (they count no more) go."""
        self._conn.execute("DELETE FROM login_failures WHERE at < ?", (prune_before,))
        self._conn.execute("INSERT INTO login_failures (at, account, address) VALUES (?, ?, ?)",
                          (at, account, address))

    def audit(self, at: str, actor: str, role: str, action: str, subject: str, address: str,
              detail: str) -> None:
        self._conn.execute(f"INSERT INTO county_audit ({AUDIT_COLUMNS[4:]}) VALUES "
                          "(?, ?, ?, ?, ?, ?, ?)", (at, actor, role, action, subject, address, detail))
