"""Looking up a visitor: the wire rules both sides share (issue 24).

A station holds only its own residents. When a card issued elsewhere is tapped and the station
does not hold her, it first records its own signed ``visitor.tapped`` event (the card number,
its issuer and the SHA-256 of the card's signed record: never the record itself, which carries
the card's UID), then asks the county:

    POST /api/v1/visitors/lookup
    {"card_no": ..., "record": <the card's signed record, hex>, "tap": <the signed event>}

with ``X-Station-Id``, ``X-Station-Time`` and ``X-Station-Signature``: Ed25519 over
``"kiosk-visitor-lookup-v1\\0" + "<station id>\\n<time>\\n<sha256 of the body, hex>"``.
The county answers only for an active resident card whose record the station presents,
named by a tap event of the asking station that no lookup used before; the answer is her
record as roster entries (kiosk.protocol.roster.entry), signed by the county key over
``"kiosk-visitor-record-v1\\0"`` + the canonical JSON of the answer without its signature.
"""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.domain.events import Signer, canonical_json
from kiosk.domain.visitors import LOOKED_UP, TAPPED, record_digest
from kiosk.errors import ProtocolError

__all__ = ["LOOKED_UP", "TAPPED", "record_digest", "request_message", "request_body",
           "sign_answer", "verify_answer"]
REQUEST_CONTEXT = b"kiosk-visitor-lookup-v1\x00"
ANSWER_CONTEXT = b"kiosk-visitor-record-v1\x00"
MAX_BODY = 16 * 1024


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def request_message(station_id: str, station_time: str, body: bytes) -> bytes:
    return REQUEST_CONTEXT + f"{station_id}\n{station_time}\n{body_digest(body)}".encode()


def request_body(card_no: str, record: bytes, tap: dict[str, Any]) -> bytes:
    return canonical_json({"card_no": card_no, "record": record.hex(), "tap": tap})


def sign_answer(answer: dict[str, Any], signer: Signer) -> dict[str, Any]:
    return {**answer, "signature": signer.sign(ANSWER_CONTEXT + canonical_json(answer)).hex()}


def verify_answer(answer: dict[str, Any], county_key: Ed25519PublicKey, station_id: str,
                  card_no: str) -> dict[str, Any]:
    """The answer without its signature, if the county signed it for this station and card;
    ProtocolError otherwise."""
    from cryptography.exceptions import InvalidSignature
    body = {k: v for k, v in answer.items() if k != "signature"}
    try:
        county_key.verify(bytes.fromhex(answer["signature"]), ANSWER_CONTEXT + canonical_json(body))
    except (KeyError, ValueError, TypeError, InvalidSignature):
        raise ProtocolError("visitor record not signed by the county key") from None
    if body.get("for") != station_id or body.get("card_no") != card_no:
        raise ProtocolError("visitor record was made for another request")
    if not isinstance(body.get("entries"), list) or not body.get("resident_id"):
        raise ProtocolError("visitor record without entries")
    return body
