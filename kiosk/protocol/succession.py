"""A station's key succession: the county's signed word that a new key carries on a
station's chain after its SD card (and key) died (docs/sync-protocol.md, "Succession").

``kiosk-county replace`` signs a succession (station, previous key, new key, time). The new
station pulls the old chain with a request its new key signs, and starts its own part of the
chain with a ``station.restored`` event that names the old head and carries the succession.
From that event on, the new key signs the station's events; the old key still verifies the
events before it and the card records it issued.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.domain.events import Event, Signer, canonical_json
from kiosk.errors import ProtocolError

SUCCESSION_CONTEXT = b"kiosk-succession-v1\x00"
RESTORED = "station.restored"  # the first event the new key signs
FIELDS = ("station_id", "previous_key", "public_key", "county_time")


def succession_body(station_id: str, previous_key: str, public_key: str,
                    county_time: str) -> dict[str, Any]:
    return {"station_id": station_id, "previous_key": previous_key, "public_key": public_key,
            "county_time": county_time}


def sign_succession(body: dict[str, Any], signer: Signer) -> dict[str, Any]:
    return {**body, "signature": signer.sign(SUCCESSION_CONTEXT + canonical_json(body)).hex()}


def verify_succession(succession: Any, county_key: Ed25519PublicKey) -> dict[str, Any]:
    """The succession's body if the county signed it; ProtocolError otherwise."""
    try:
        body = {name: succession[name] for name in FIELDS}
        county_key.verify(bytes.fromhex(succession["signature"]),
                          SUCCESSION_CONTEXT + canonical_json(body))
    except (KeyError, TypeError, ValueError, InvalidSignature):
        raise ProtocolError("succession not signed by the county key") from None
    return body


def _key(hex_key: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(hex_key))


class KeySchedule:
    """Which key signs each event of one station's chain: ``first`` up to the first key
    switch, then each later key from the seq of the ``station.restored`` event that brought
    it (``switches``: (seq, key hex) in order). ``pending``: a succession the county signed
    whose ``station.restored`` event has not arrived yet; that event (signed by the new key,
    naming it and its predecessor) switches to it.
    """

    def __init__(self, first: str, switches: Iterable[tuple[int, str]] = (),
                 pending: str | None = None):
        self.first, self.switches, self.pending = first, sorted(switches), pending
        self._keys: dict[str, Ed25519PublicKey] = {}

    def _public(self, hex_key: str) -> Ed25519PublicKey:
        if hex_key not in self._keys:
            self._keys[hex_key] = _key(hex_key)
        return self._keys[hex_key]

    def hex_for(self, seq: int) -> str:
        current = self.first
        for start, key in self.switches:
            if seq >= start:
                current = key
        return current

    def key_for(self, event: Event) -> Ed25519PublicKey:
        """The key ``event`` must verify with; a pending successor's ``station.restored``
        event takes its key (and so do the events after it in the same batch)."""
        if (self.pending and event.type == RESTORED and not any(s >= event.seq for s, _ in self.switches)
                and event.payload.get("public_key") == self.pending
                and event.payload.get("previous_key") == self.hex_for(event.seq)):
            self.switches.append((event.seq, self.pending))
            self.pending = None
        return self._public(self.hex_for(event.seq))

    @property
    def current(self) -> str:
        return self.switches[-1][1] if self.switches else self.first


def _withheld(event: Event) -> bool:
    """An event the county keeps cut (signed before station-only commitments existed): its
    own hash no longer matches its body, but the next event's signed ``prev_hash`` links it."""
    from kiosk.domain.disclosure import WITHHELD
    return WITHHELD in canonical_json(event.payload).decode()


class ChainFollower:
    """Checks a station's chain one event at a time, as a restore reads it: seq, link, station,
    hash and signature, the key from event 1's ``station.initialized`` and each county-signed
    succession after; ``check`` raises ProtocolError at the first problem."""

    def __init__(self, station_id: str, county_key: Ed25519PublicKey):
        self.station_id, self.county_key = station_id, county_key
        self.seq, self.hash, self.key_hex = 0, "0" * 64, ""
        self.withheld = 0  # events cut at the county: linked, not verifiable on their own
        self._key: tuple[str, Ed25519PublicKey] | None = None

    def check(self, event: Event) -> None:
        from kiosk.domain.events import check_event

        def refuse(reason: str) -> ProtocolError:
            return ProtocolError(f"event seq {event.seq} of {self.station_id}: {reason}")
        if event.station_id != self.station_id:
            raise refuse(f"belongs to station {event.station_id!r}")
        if event.seq != self.seq + 1:
            raise refuse(f"expected seq {self.seq + 1} (a gap or a reorder)")
        if event.prev_hash != self.hash:
            raise refuse("does not link to the previous event (chain broken)")
        if event.seq == 1:
            if event.type != "station.initialized":
                raise refuse("the chain does not start with station.initialized")
            self.key_hex = str(event.payload.get("public_key", ""))
        elif event.type == RESTORED:
            body = verify_succession(event.payload.get("succession"), self.county_key)
            if (body["previous_key"] != self.key_hex or body["station_id"] != self.station_id
                    or event.payload.get("public_key") != body["public_key"]):
                raise refuse("its succession does not follow the chain's key")
            self.key_hex = body["public_key"]
        if self._key is None or self._key[0] != self.key_hex:
            try:
                self._key = (self.key_hex, _key(self.key_hex))
            except ValueError:
                raise refuse("no valid station key") from None
        problem = check_event(event, self._key[1])
        if problem and not (_withheld(event) and event.seq > 1):
            raise refuse(problem)
        self.withheld += bool(problem)
        self.seq, self.hash = event.seq, event.hash
