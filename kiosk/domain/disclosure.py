"""What of each event leaves the station: the county keeps only what it needs.

An event's station-only fields (a staff note, her phone, a card's UID hash, a technician's
name, ...) are signed as a salted hash commitment, ``{"_station_only": "<hex>"}``; the value
and its salt stay in the station's ``event_secrets`` table. The signed and chained event is
then the same bytes on the station and at the county, so both verify it, and the station can
still prove what it wrote (``kiosk verify-log`` checks each value against its commitment).
The 16-byte random salt keeps a short value (an 11-digit phone) from being guessed from its
commitment. Events written before this rule carry their station-only values in full: the
county verifies them on arrival and then keeps them cut (``cut``). docs/events.md lists what
the county keeps of each type.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from kiosk.domain.events import canonical_json

COMMITMENT = "_station_only"  # a committed field: {"_station_only": sha256 hex}
WITHHELD = "_withheld"  # cut at the county from an event signed before commitments existed
CONTEXT = b"kiosk-station-only-v1\x00"

# Per event type, the payload fields that stay at the station ("changes.phone": a nested key).
STATION_ONLY: dict[str, tuple[str, ...]] = {
    "resident.registered": ("phone", "national_id_hash"),
    "resident.corrected": ("changes.phone",),
    "card.issued": ("uid_hash",),
    "card.refused": ("uid_fingerprint",),
    "card.unknown": ("uid_fingerprint",),
    "technician.added": ("name",),
    "care.enrolled": ("anchors",),
    "visit.logged": ("note",),
    "visit.corrected": ("note",),
    "residents.searched": ("query",),
    # the desk's LAN address and browser name are the station's own business
    "desk.login": ("desk",), "desk.pin_failed": ("desk",), "desk.login_refused": ("desk",),
    "desk.logout": ("desk",),  # only events written before searches were audited by kind
}


def commitment(salt: bytes, value: Any) -> str:
    return hashlib.sha256(CONTEXT + salt + canonical_json(value)).hexdigest()


def _parent(payload: dict[str, Any], path: str) -> tuple[dict[str, Any] | None, str]:
    *outer, key = path.split(".")
    node: Any = payload
    for part in outer:
        node = node.get(part) if isinstance(node, dict) else None
    return (node if isinstance(node, dict) else None), key


def _is_marker(value: Any) -> bool:
    return isinstance(value, dict) and (COMMITMENT in value or WITHHELD in value)


def _copy(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: (_copy(v) if isinstance(v, dict) else v) for k, v in payload.items()}


def withhold(type_: str, payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the payload to sign, with commitments; the secrets to keep: path -> salt and value)."""
    signed, kept = _copy(payload), {}
    for path in STATION_ONLY.get(type_, ()):
        parent, key = _parent(signed, path)
        if parent is None or key not in parent or _is_marker(parent[key]):
            continue
        salt = secrets.token_bytes(16)
        kept[path] = {"salt": salt.hex(), "value": parent[key]}
        parent[key] = {COMMITMENT: commitment(salt, parent[key])}
    return signed, kept


def check_secrets(payload: dict[str, Any], kept: dict[str, Any]) -> str | None:
    """What is wrong with an event's kept station-only values, or None if each matches."""
    for path, secret in kept.items():
        parent, key = _parent(payload, path)
        marker = parent.get(key) if parent else None
        if not isinstance(marker, dict) or COMMITMENT not in marker:
            return f"station-only field {path!r} has no commitment in the event"
        try:
            salt = bytes.fromhex(secret["salt"])
            ok = commitment(salt, secret["value"]) == marker[COMMITMENT]
        except (KeyError, TypeError, ValueError):
            ok = False
        if not ok:
            return f"station-only field {path!r} does not match its commitment (altered)"
    return None


def restore(payload: dict[str, Any], kept: dict[str, Any]) -> dict[str, Any]:
    """The payload as the station wrote it, with its kept values back in place."""
    full = _copy(payload)
    for path, secret in kept.items():
        parent, key = _parent(full, path)
        if parent is not None:
            parent[key] = secret["value"]
    return full


def _in_full(payload: dict[str, Any], path: str) -> bool:
    parent, key = _parent(payload, path)
    return parent is not None and key in parent and not _is_marker(parent[key])


def cut(type_: str, payload: dict[str, Any]) -> dict[str, Any]:
    """What the county keeps: station-only values still in full (events signed before this
    rule) are replaced by ``{"_withheld": true}``; commitments stay as they are. A payload
    with nothing to cut is returned as it is, not copied (nearly every event: the county
    takes a million of them in a year, and nobody changes a stored payload)."""
    paths = [path for path in STATION_ONLY.get(type_, ()) if _in_full(payload, path)]
    if not paths:
        return payload
    kept = _copy(payload)
    for path in paths:
        parent, key = _parent(kept, path)
        assert parent is not None
        parent[key] = {WITHHELD: True}
    return kept
