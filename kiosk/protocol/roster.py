"""The roster feed: what one station needs from the others, signed by the county.

A station pulls pages after its cursor; each entry is an event of another
station, cut down to what serving her elsewhere needs (no phone numbers, no ID
hashes, no card UID hashes, no staff notes, no technicians). With the entries come the public keys
of the county's enrolled stations, so their card records verify everywhere.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.domain.events import Signer, canonical_json
from kiosk.errors import ProtocolError

REQUEST_CONTEXT = b"kiosk-roster-request-v1\x00"
PAGE_CONTEXT = b"kiosk-roster-page-v1\x00"
MAX_SKEW_S = 300


def _resident(p: dict[str, Any]) -> dict[str, Any]:
    keep = ("id", "name", "birth_date", "village", "consent_version", "consent_at",
            "registered_at")
    return {k: p.get(k) for k in keep}


SHARED: dict[str, Any] = {
    "resident.registered": _resident,
    "resident.corrected": lambda p: {"resident_id": p["resident_id"],
                                     "changes": {k: v for k, v in p["changes"].items()
                                                 if k != "phone"}},
    "consent.given": lambda p: {"resident_id": p["resident_id"], "version": p.get("version")},
    "consent.withdrawn": lambda p: {"resident_id": p["resident_id"]},
    # No UID hash: an unkeyed hash of a 4-byte UID falls to a brute force in seconds, and the
    # signed card record already binds the card number to its UID (finding 3 of issue 13).
    "card.issued": lambda p: ({k: p[k] for k in ("card_no", "holder_id", "kind")}
                              if p.get("role") == "resident" else None),
    "card.revoked": lambda p: {"card_no": p["card_no"]},
    "care.enrolled": lambda p: {k: p[k] for k in ("enrolment_id", "resident_id", "plan", "items")},
    "care_item.declined": lambda p: {"item_id": p["item_id"]},
    "visit.logged": lambda p: {k: p.get(k) for k in ("id", "item_id", "resident_id",
                                                     "visit_date", "outcome",
                                                     "next_appointment", "next_item_id")},
}
SHARED["visit.corrected"] = lambda p: {**SHARED["visit.logged"](p), "corrects": p.get("corrects")}


def request_message(station_id: str, after: int, station_time: str) -> bytes:
    return REQUEST_CONTEXT + f"{station_id}\n{after}\n{station_time}".encode()


def fresh(station_time: str, now: dt.datetime) -> bool:
    try:
        when = dt.datetime.fromisoformat(station_time.replace("Z", "+00:00"))
        return when.tzinfo is not None and abs((when - now).total_seconds()) <= MAX_SKEW_S
    except ValueError:
        return False


def entry(cursor: int, station_id: str, seq: int, type_: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    cut = SHARED.get(type_)
    data = cut(payload) if cut else None
    if data is None:
        return None
    return {"cursor": cursor, "station_id": station_id, "seq": seq, "type": type_, "data": data}


def sign_page(page: dict[str, Any], signer: Signer) -> dict[str, Any]:
    return {**page, "signature": signer.sign(PAGE_CONTEXT + canonical_json(page)).hex()}


def verify_page(page: dict[str, Any], county_key: Ed25519PublicKey) -> dict[str, Any]:
    """The page without its signature if the county signed it; ProtocolError otherwise."""
    from cryptography.exceptions import InvalidSignature
    body = {k: v for k, v in page.items() if k != "signature"}
    try:
        county_key.verify(bytes.fromhex(page["signature"]), PAGE_CONTEXT + canonical_json(body))
    except (KeyError, ValueError, TypeError, InvalidSignature):
        raise ProtocolError("roster page not signed by the county key") from None
    return body
