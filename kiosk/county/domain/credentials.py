"""Passwords (argon2id through argon2-cffi) and authenticator codes (TOTP through pyotp).

Argon2id with t=3, m=64 MiB, p=4 (RFC 9106's second recommended option, and OWASP's
minimum is well below it); the hash string records them, and a hash made with weaker
parameters is replaced at the next login (``needs_rehash``). TOTP: RFC 6238, 30 s steps,
6 digits, a code from the step before or after accepted (clock drift), each step at most
once: the caller stores the step a code was used at and passes it back as ``last_step``."""

from __future__ import annotations

import datetime as dt
import hmac

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

TIME_COST, MEMORY_KIB, PARALLELISM = 3, 64 * 1024, 4
TOTP_STEP_S, TOTP_WINDOW = 30, 1
HASHER = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM,
                        hash_len=32, salt_len=16)
# Verified against when the user does not exist, so a wrong name costs what a wrong password does.
DUMMY_HASH = HASHER.hash("county-dummy-password-for-timing")


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return HASHER.check_needs_rehash(password_hash)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, name: str, issuer: str = "kiosk county") -> str:
    return pyotp.TOTP(secret, interval=TOTP_STEP_S).provisioning_uri(name=name, issuer_name=issuer)


def totp_step(secret: str, code: str, now: dt.datetime, last_step: int | None) -> int | None:
    """The step ``code`` belongs to (now, or one step either side), if it is valid and later
    than ``last_step``; None otherwise."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_STEP_S)
    current = int(now.timestamp()) // TOTP_STEP_S
    for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
        if hmac.compare_digest(totp.at(step * TOTP_STEP_S), code):
            return step if last_step is None or step > last_step else None
    return None


def code_at(secret: str, when: dt.datetime) -> str:
    """The code an authenticator shows at ``when`` (tests, the CLI's confirmation)."""
    return pyotp.TOTP(secret, interval=TOTP_STEP_S).at(when)
