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
                                                 if k != "phone"},
                                     "card_no": p.get("card_no")},
    "consent.given": lambda p: {"resident_id": p["resident_id"], "version": p.get("version"),
                                "card_no": p.get("card_no")},
    "consent.withdrawn": lambda p: {"resident_id": p["resident_id"], "card_no": p.get("card_no")},
    # No UID hash: an unkeyed hash of a 4-byte UID falls to a brute force in seconds, and the
    # signed card record already binds the card number to its UID (finding 3 of issue 13).
    "card.issued": lambda p: ({k: p[k] for k in ("card_no", "holder_id", "kind")}
                              if p.get("role") == "resident" else None),
    "card.revoked": lambda p: {"card_no": p["card_no"], "replaced_by": p.get("replaced_by")},
    "care.enrolled": lambda p: {k: p[k] for k in ("enrolment_id", "resident_id", "plan", "items")},
    "care_item.declined": lambda p: {"item_id": p["item_id"], "resident_id": p.get("resident_id")},
    "visit.logged": lambda p: {k: p.get(k) for k in ("id", "item_id", "resident_id",
                                                     "visit_date", "outcome",
                                                     "next_appointment", "next_item_id")},
}
SHARED["visit.corrected"] = lambda p: {**SHARED["visit.logged"](p), "corrects": p.get("corrects")}
# Her card at a station (issue 24): these show her there, for the presence rule
# (kiosk.protocol.roster_rules), and a lookup lists in her record at home who looked her up.
SHARED["checkin.created"] = lambda p: ({k: p.get(k) for k in ("checkin_id", "resident_id",
                                                               "card_no")}
                                       if p.get("resident_id") and p.get("card_no") else None)
SHARED["checkin.linked"] = lambda p: {k: p.get(k) for k in ("checkin_id", "resident_id",
                                                            "card_no", "checked_in_at")}
SHARED["visitor.looked_up"] = lambda p: {k: p.get(k) for k in ("resident_id", "card_no")}
SHARED["resident.moved"] = lambda p: {k: p.get(k) for k in ("resident_id", "from", "to")}


def request_message(station_id: str, after: int | str, station_time: str) -> bytes:
    return REQUEST_CONTEXT + f"{station_id}\n{after}\n{station_time}".encode()


# The feed's cursor, version 2: how far the asking station has read each other station's
# chain, as "station:seq" pairs sorted by station ("" from the start). A global row number
# (version 1, digits alone) is not safe to resume from: PostgreSQL sequence values become
# visible out of order under concurrent commits, so a reader could step over an event.
POSITIONS_VERSION = "2"


def encode_positions(positions: dict[str, int]) -> str:
    return ",".join(f"{station}:{seq}" for station, seq in sorted(positions.items()) if seq > 0)


def parse_positions(text: str) -> dict[str, int]:
    """The positions of an encoded cursor; ProtocolError when it is not one."""
    from kiosk.protocol.station_requests import whole_number
    from kiosk.protocol.sync import STATION_ID
    positions: dict[str, int] = {}
    for pair in filter(None, text.split(",")):
        station, _, seq = pair.partition(":")
        number = whole_number(seq)  # ASCII digits within a 64-bit integer (issue 23, N14)
        if not STATION_ID.match(station) or number is None or station in positions:
            raise ProtocolError(f"not a roster cursor: {text[:80]!r}")
        positions[station] = number
    return positions


def fresh(station_time: str, now: dt.datetime) -> bool:
    try:
        when = dt.datetime.fromisoformat(station_time.replace("Z", "+00:00"))
        return when.tzinfo is not None and abs((when - now).total_seconds()) <= MAX_SKEW_S
    except ValueError:
        return False


def shared_data(type_: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """What of an event crosses the roster, or None if nothing does."""
    cut = SHARED.get(type_)
    return cut(payload) if cut else None


def entry(cursor: int | None, station_id: str, seq: int, type_: str, payload: dict[str, Any],
          at: str = "") -> dict[str, Any] | None:
    """A feed entry (``cursor``: the version-1 row number; None in version 2); ``at``, the
    event's time on its station's clock, for the presence rule."""
    data = shared_data(type_, payload)
    if data is None:
        return None
    found = {"station_id": station_id, "seq": seq, "type": type_, "data": data, "at": at}
    return found if cursor is None else {"cursor": cursor, **found}


def revocation_notice(card_no: str) -> dict[str, Any]:
    """What every station learns of a card revoked for a resident of another station: its
    number, so it refuses the card, and nothing about her."""
    return {"card_no": card_no}


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
