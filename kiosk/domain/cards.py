"""Card UIDs: how they are hashed for lookup and fingerprinted for unknown-card records."""

from __future__ import annotations

import hashlib
import hmac

VALID_UID_LENGTHS = (4, 7, 10)


def uid_hash(uid: bytes) -> str:
    """County-wide lookup key of a bound card (the raw UID is not stored)."""
    return hashlib.sha256(b"kiosk-card-uid-v1:" + uid).hexdigest()


def uid_fingerprint(uid: bytes, station_secret: bytes) -> str:
    """Short keyed fingerprint: lets staff see repeats of an unknown card, reveals no UID."""
    return hmac.new(station_secret, b"kiosk-unknown-uid-v1:" + uid, hashlib.sha256).hexdigest()[:16]


def random_uid(uid: bytes) -> bool:
    """A 4-byte UID starting 08: an ISO 14443-3 random ID, new at each activation."""
    return len(uid) == 4 and uid[0] == 0x08


def parse_uid(text: str) -> bytes:
    """Parse a UID written as hex (``04:A1:B2:C3``, ``04a1b2c3``); raise ValueError if not 4/7/10 bytes."""
    cleaned = text.replace(":", "").replace(" ", "").replace("-", "")
    uid = bytes.fromhex(cleaned)
    if len(uid) not in VALID_UID_LENGTHS:
        raise ValueError(f"a card UID has 4, 7 or 10 bytes, not {len(uid)}")
    return uid
