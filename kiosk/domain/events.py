"""Signed, hash-chained events: the station's source of truth.

The canonical encoding is specified in docs/events.md so that another program
can verify a log without this code. In short: the signed body is every field
except ``hash`` and ``signature``, encoded as JSON with sorted keys, no
insignificant white space, UTF-8, and integers only (no floats); ``hash`` is
the SHA-256 of that body and ``signature`` is Ed25519 over the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT_VERSION = 1
GENESIS_HASH = "0" * 64


class Signer(Protocol):
    def sign(self, data: bytes) -> bytes: ...


@dataclass(frozen=True)
class ChainHead:
    """The last stored event's sequence number and hash (0 and zeros when empty)."""

    seq: int = 0
    hash: str = GENESIS_HASH


@dataclass(frozen=True)
class Event:
    v: int
    id: str
    station_id: str
    seq: int
    type: str
    payload: dict[str, Any]
    wall_time: str
    boot_id: str
    mono_ns: int
    prev_hash: str
    hash: str = ""
    signature: str = ""

    def body(self) -> dict[str, Any]:
        """The fields covered by hash and signature (the payload itself, not a deep copy:
        encoding it is all the callers do, and a restore checks 100,000 of them)."""
        return {name: getattr(self, name) for name in BODY_FIELDS}


BODY_FIELDS = ("v", "id", "station_id", "seq", "type", "payload", "wall_time", "boot_id",
               "mono_ns", "prev_hash")


def _reject_floats(value: Any) -> None:
    if isinstance(value, float):
        raise ValueError("event payloads carry no floats; use integers or strings")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError("event payload keys must be strings")
            _reject_floats(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _reject_floats(item)


def canonical_json(value: Any) -> bytes:
    """Canonical bytes: sorted keys, compact separators, UTF-8, no floats."""
    _reject_floats(value)
    return canonical_text(value).encode("utf-8")


def canonical_text(value: Any) -> str:
    """The canonical JSON text of a value ``canonical_json`` already took (an event judged
    sound): the same text without scanning it for floats a second time."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def seal(unsigned: Event, signer: Signer) -> Event:
    """Return the event with its hash and signature filled in (sharing the payload, which the
    caller hands over: a deep copy here was half the cost of signing)."""
    body = canonical_json(unsigned.body())
    digest = hashlib.sha256(body).hexdigest()
    signature = signer.sign(body).hex()
    return replace(unsigned, hash=digest, signature=signature)


def check_event(event: Event, public_key: Ed25519PublicKey) -> str | None:
    """Return what is wrong with one event on its own, or None if it is sound."""
    try:
        body = canonical_json(event.body())
    except (ValueError, UnicodeError) as exc:
        return f"unreadable content ({exc})"
    if hashlib.sha256(body).hexdigest() != event.hash:
        return "content does not match its hash (altered)"
    try:
        public_key.verify(bytes.fromhex(event.signature), body)
    except (InvalidSignature, ValueError):
        return "signature is not valid for the station key"
    return None
