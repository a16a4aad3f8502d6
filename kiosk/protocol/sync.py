"""The sync protocol's rules, without HTTP or storage (docs/sync-protocol.md).

A station pushes its events in sequence order. The county accepts a batch only
if every event is well-formed, signed by that station's enrolled key, names
that station, and continues the chain the county already holds; resent events
are a no-op; a gap or a different event at a stored sequence (a fork) is
answered, never stored. Acknowledgements are signed by the county key.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.domain.events import ChainHead, Event, Signer, canonical_json, check_event
from kiosk.errors import ProtocolError
from kiosk.protocol.succession import KeySchedule

MAX_EVENTS = 500
STATION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")
MAX_BYTES = 256 * 1024
MAX_DEPTH = 32  # a batch is 4 deep; payloads add a few levels
MAX_VALUES = 100_000  # containers and separators: far above 500 events of ordinary payloads
_STRING = re.compile(rb'"(?:[^"\\]|\\[\s\S])*+"?')  # possessive: linear on any input
_STRUCTURE = re.compile(rb"[\[\]{},]")
ACK_CONTEXT = b"kiosk-county-ack-v1\x00"
PUSH_CONTEXT = b"kiosk-push-request-v1\x00"
FIELDS: dict[str, type | tuple[type, ...]] = {
    "v": int, "id": str, "station_id": str, "seq": int, "type": str, "payload": dict,
    "wall_time": str, "boot_id": str, "mono_ns": int, "prev_hash": str, "hash": str,
    "signature": str}
_FIELD_NAMES = frozenset(FIELDS)
_FIELD_KINDS = tuple(FIELDS.items())  # checked for every event of every push: no rebuilding


class Malformed(ProtocolError):
    """400: the request is not a batch of events; the message says what is wrong."""


@dataclass(frozen=True)
class Accepted:
    new: list[Event]  # to store (may be empty: everything was already stored)


@dataclass(frozen=True)
class Gap:
    expected_seq: int


@dataclass(frozen=True)
class Fork:
    seq: int
    event: Event


@dataclass(frozen=True)
class RejectedBatch:
    reason: str  # 400: bad signature, altered content, wrong station id


Verdict = Accepted | Gap | Fork | RejectedBatch


def take_batch(events: list[dict[str, Any]], max_events: int = MAX_EVENTS) -> list[dict[str, Any]]:
    """The longest prefix of ``events`` (as JSON-ready dicts) that one push may carry:
    at most ``max_events`` (500 at most) and 256 KiB with room to spare for the envelope."""
    batch: list[dict[str, Any]] = []
    size = 20
    for event in events[:min(max_events, MAX_EVENTS)]:
        size += len(json.dumps(event, ensure_ascii=False).encode()) + 1
        if batch and size > MAX_BYTES - 1024:
            break
        batch.append(event)
    return batch


def check_shape(raw: bytes) -> None:
    """Malformed if the JSON text nests deeper than MAX_DEPTH or holds more than MAX_VALUES
    containers and items; checked before json.loads, whose recursion a deep body exhausts."""
    depth = values = 0
    for match in _STRUCTURE.finditer(_STRING.sub(b"", raw)):
        values += 1
        token = match.group()
        if token in b"[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise Malformed(f"JSON nested deeper than {MAX_DEPTH} levels")
        elif token in b"]}":
            depth -= 1
        if values > MAX_VALUES:
            raise Malformed(f"JSON holds more than {MAX_VALUES} values")


def parse_batch(body: Any) -> list[Event]:
    """The events of a request body, or Malformed naming the first problem."""
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        raise Malformed('body must be {"events": [...]}')
    events = body["events"]
    if not 1 <= len(events) <= MAX_EVENTS:
        raise Malformed(f"a batch has 1 to {MAX_EVENTS} events")
    parsed = []
    for n, raw in enumerate(events):
        if not isinstance(raw, dict) or raw.keys() != _FIELD_NAMES:
            raise Malformed(f"events[{n}]: must have exactly the fields {sorted(FIELDS)}")
        for name, kind in _FIELD_KINDS:
            value = raw[name]
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise Malformed(f"events[{n}].{name}: must be {getattr(kind, '__name__', kind)}")
            if isinstance(value, str) and "\x00" in value:
                raise Malformed(f"events[{n}]: NUL characters are not allowed")
        if raw["seq"] < 1 or raw["mono_ns"] < 0 or raw["seq"] > 2**62 or raw["mono_ns"] > 2**63:
            raise Malformed(f"events[{n}]: seq and mono_ns out of range")
        parsed.append(Event(**raw))
    seqs = [e.seq for e in parsed]
    if seqs != list(range(seqs[0], seqs[0] + len(seqs))):
        raise Malformed("events must be consecutive, in sequence order")
    return parsed


def check_batch(station_id: str, events: list[Event],
                public_key: Ed25519PublicKey | KeySchedule) -> RejectedBatch | None:
    """What is wrong with a batch's events on their own (station id, hash, signature), or
    None. It needs no stored state but the station's keys, so the county runs it before its
    one writer takes the batch: pushes verify in parallel, and the writer's lock is not held
    for the Ed25519 work."""
    for event in events:
        if event.station_id != station_id:
            return RejectedBatch(f"event {event.seq} names station {event.station_id!r}")
        key = public_key.key_for(event) if isinstance(public_key, KeySchedule) else public_key
        problem = check_event(event, key)
        if problem:
            return RejectedBatch(f"event {event.seq}: {problem}")
    return None


def judge(station_id: str, events: list[Event], public_key: Ed25519PublicKey | KeySchedule,
          head: ChainHead, stored_hash: Callable[[int], str | None],
          checked: bool = False) -> Verdict:
    """Decide what to do with a parsed batch. ``stored_hash(seq)`` gives the hash the county
    holds at a sequence at or below ``head.seq``. ``public_key`` is the station's key, or
    the schedule of its keys when a succession gave it a new one. ``checked``: the caller
    ran ``check_batch`` with these keys and it found nothing wrong."""
    if not checked:
        rejected = check_batch(station_id, events, public_key)
        if rejected is not None:
            return rejected
    new: list[Event] = []
    previous_hash = head.hash
    for event in events:
        if event.seq <= head.seq:
            if stored_hash(event.seq) != event.hash:
                return Fork(event.seq, event)
            continue
        if event.seq > head.seq + 1 and not new:
            return Gap(head.seq + 1)
        link = new[-1].hash if new else previous_hash
        if event.prev_hash != link:
            return Fork(event.seq, event)
        new.append(event)
    return Accepted(new)


def ack_body(station_id: str, seq: int, hash_: str, county_time: str) -> dict[str, Any]:
    return {"station_id": station_id, "seq": seq, "hash": hash_, "county_time": county_time}


def sign_ack(body: dict[str, Any], signer: Signer) -> dict[str, Any]:
    signature = signer.sign(ACK_CONTEXT + canonical_json(body))
    return {**body, "signature": signature.hex()}


def verify_ack(ack: dict[str, Any], county_key: Ed25519PublicKey) -> dict[str, Any]:
    """The acknowledgement's body if the county signed it; ProtocolError otherwise."""
    try:
        body = ack_body(ack["station_id"], ack["seq"], ack["hash"], ack["county_time"])
        county_key.verify(bytes.fromhex(ack["signature"]), ACK_CONTEXT + canonical_json(body))
    except (KeyError, TypeError, ValueError, InvalidSignature) as exc:
        raise ProtocolError(f"acknowledgement not signed by the county key ({exc!r})") from None
    return body


def push_message(station_id: str, station_time: str, head: str, body: bytes) -> bytes:
    """What a station signs for its push's metadata (time, head): the body's hash binds them
    to this one request, so they cannot ride along with a replayed batch."""
    digest = hashlib.sha256(body).hexdigest()
    return PUSH_CONTEXT + f"{station_id}\n{station_time}\n{head}\n{digest}".encode()


def push_headers(station_id: str, body: bytes, station_time: str, head: int | None,
                 signer: Signer) -> dict[str, str]:
    """The signed metadata headers of one push (docs/sync-protocol.md)."""
    reported = "" if head is None else str(head)
    signature = signer.sign(push_message(station_id, station_time, reported, body)).hex()
    return {"X-Station-Time": station_time, "X-Station-Head": reported,
            "X-Station-Signature": signature}


def batch_digest(events: list[Event]) -> str:
    """Identifies a kept-aside fork batch in logs."""
    return hashlib.sha256(b"".join(e.hash.encode() for e in events)).hexdigest()[:16]
