"""TOTP as the county checks it (kiosk.county.domain.credentials): 30-second steps, a code of
the step before or after is still taken (an authenticator's clock drifts), two steps away is
not, and a code is taken once: never at or before the last step used."""

from __future__ import annotations

import datetime as dt

from kiosk.county.domain.credentials import code_at, new_totp_secret, totp_step

NOW = dt.datetime(2026, 12, 7, 8, 0, 15, tzinfo=dt.UTC)
STEP = int(NOW.timestamp()) // 30


def test_one_step_either_side_is_taken_and_two_are_not():
    secret = new_totp_secret()
    for offset, taken in ((-2, False), (-1, True), (0, True), (1, True), (2, False)):
        code = code_at(secret, NOW + dt.timedelta(seconds=30 * offset))
        assert (totp_step(secret, code, NOW, None) == STEP + offset) is taken, offset
        if not taken:
            assert totp_step(secret, code, NOW, None) is None


def test_a_code_is_taken_once_and_never_an_earlier_one():
    secret = new_totp_secret()
    code = code_at(secret, NOW)
    used = totp_step(secret, code, NOW, None)
    assert used == STEP
    assert totp_step(secret, code, NOW, used) is None  # the same code again
    before = code_at(secret, NOW - dt.timedelta(seconds=30))
    assert totp_step(secret, before, NOW, used) is None  # an older step after a newer one
    after = code_at(secret, NOW + dt.timedelta(seconds=30))
    assert totp_step(secret, after, NOW, used) == STEP + 1


def test_malformed_codes_are_refused():
    secret = new_totp_secret()
    for code in ("", "12345", "1234567", "abcdef", "12 34 5x"):
        assert totp_step(secret, code, NOW, None) is None
    spaced = code_at(secret, NOW)
    assert totp_step(secret, f" {spaced[:3]} {spaced[3:]} ", NOW, None) == STEP
