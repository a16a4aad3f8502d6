"""The roster feed: what one station needs from the others, signed by the county.

A station pulls pages after its cursor; each entry is an event of another
station, cut down to what serving her elsewhere needs (no phone numbers, no ID
hashes, no card UID hashes, no staff notes, no technicians). With the entries come the public keys
of the county's enrolled stations, so their card records verify everywhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

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
    "care_item.declined": lambda p: {"item_id": p["item_id"]},
    "visit.logged": lambda p: {k: p.get(k) for k in ("id", "item_id", "resident_id",
                                                     "visit_date", "outcome",
                                                     "next_appointment", "next_item_id")},
}
SHARED["visit.corrected"] = lambda p: {**SHARED["visit.logged"](p), "corrects": p.get("corrects")}


@dataclass(frozen=True)
class CardFact:
    """What the rules need to know of a card: who issued it, to whom, for what role."""

    issuer: str
    holder_id: str
    role: str


class RosterFacts(Protocol):
    """What the applier (a station, or the county when it takes a push) knows so far."""

    def card(self, card_no: str) -> CardFact | None: ...
    def home(self, resident_id: str) -> str | None: ...
    def served(self, resident_id: str, station_id: str) -> bool: ...


@dataclass(frozen=True)
class Refusal:
    """An entry another station may not apply; ``alert`` when it looks like an attack (an
    entry the rules simply keep local, such as a technician's own card, is no alert)."""

    reason: str
    alert: bool = True


RESIDENT_CHANGES = ("resident.corrected", "consent.given", "consent.withdrawn")
SERVING = ("resident.registered", "card.issued", "care.enrolled", "visit.logged",
           "visit.corrected")


def refusal(station_id: str, type_: str, data: dict[str, Any], facts: RosterFacts
            ) -> Refusal | None:
    """Who may change what across stations (docs/sync-protocol.md, roster rules):

    - a card is revoked only by the station that issued it, or by her home station when the
      revocation names the card that replaces it (``replaced_by``, signed in the same event);
    - she is corrected, and her consent given or withdrawn, by her home station, or by a
      station that served her with her card present (``card_no``, a card of hers);
    - technician cards never cross;
    - she is registered once, by her home station.
    """
    if type_ == "resident.registered":
        home = facts.home(data["id"])
        if home is not None and home != station_id:  # she cannot move home by a new entry
            return Refusal(f"registers again a resident whose home is {home}")
        return None
    if type_ == "card.revoked":
        card = facts.card(data["card_no"])
        if card is None:
            return Refusal("revokes a card that was never issued on the roster")
        if card.role != "resident":
            return Refusal("technician cards never cross the roster",
                           alert=card.issuer != station_id)
        if card.issuer == station_id:
            return None
        new = facts.card(data.get("replaced_by") or "")
        pair = new is not None and new.holder_id == card.holder_id and new.role == "resident"
        if pair and facts.home(card.holder_id) == station_id:
            return None
        if pair and new is not None and new.issuer == station_id:  # reissued here, not at home
            return Refusal("a card reissued away from her home station is revoked there only",
                           alert=False)
        return Refusal(f"revokes a card issued by {card.issuer}")
    if type_ in RESIDENT_CHANGES:
        resident_id = data["resident_id"]
        if facts.home(resident_id) == station_id:
            return None
        if not facts.served(resident_id, station_id):
            return Refusal(f"changes a resident that {station_id} never served")
        card = facts.card(data.get("card_no") or "")
        if card is None or card.holder_id != resident_id or card.role != "resident":
            return Refusal("changes a resident without her card present")
    return None


def serves(type_: str, data: dict[str, Any]) -> str | None:
    """The resident an accepted entry shows the station served (registered, issued her a
    card, enrolled her or logged her visit), if any."""
    if type_ == "resident.registered":
        return data.get("id")
    if type_ == "card.issued":
        return data.get("holder_id")
    if type_ in SERVING:
        return data.get("resident_id")
    return None


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
    from kiosk.protocol.sync import STATION_ID
    positions: dict[str, int] = {}
    for pair in filter(None, text.split(",")):
        station, _, seq = pair.partition(":")
        if not STATION_ID.match(station) or not seq.isdigit() or station in positions:
            raise ProtocolError(f"not a roster cursor: {text[:80]!r}")
        positions[station] = int(seq)
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


def entry(cursor: int | None, station_id: str, seq: int, type_: str, payload: dict[str, Any]
          ) -> dict[str, Any] | None:
    """A feed entry (``cursor``: the version-1 row number; None in version 2)."""
    data = shared_data(type_, payload)
    if data is None:
        return None
    found = {"station_id": station_id, "seq": seq, "type": type_, "data": data}
    return found if cursor is None else {"cursor": cursor, **found}


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
