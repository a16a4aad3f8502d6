"""Verification of a whole event log: sequence, links, hashes and signatures."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from kiosk.domain.events import GENESIS_HASH, Event, check_event


@dataclass(frozen=True)
class Problem:
    seq: int
    event_id: str
    reason: str

    def __str__(self) -> str:
        return f"event seq {self.seq} (id {self.event_id}): {self.reason}"


@dataclass
class ChainReport:
    checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    key: Ed25519PublicKey | None = None  # the key that signs the chain's newest events

    @property
    def ok(self) -> bool:
        return not self.problems


SUCCESSOR_EVENT = "station.restored"  # the new key's first event after a restore


def _successor(event: Event, key: Ed25519PublicKey,
               trusted: Callable[[Any], bool] | None) -> Ed25519PublicKey | str:
    """The key a ``station.restored`` event hands the chain to, or what is wrong with it: it
    must name the key so far as the one it follows, and (with ``trusted``, the county key's
    check of the succession) carry a succession the county signed."""
    payload = event.payload
    current = key.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    if payload.get("previous_key") != current:
        return "a succession that does not follow the chain's key"
    if trusted is not None and not trusted(payload.get("succession")):
        return "a succession the county did not sign"
    try:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(str(payload.get("public_key"))))
    except ValueError:
        return "a succession to an unreadable key"


def verify_chain(
    events: Iterable[Event], public_key: Ed25519PublicKey, station_id: str | None = None,
    acknowledged: tuple[int, str] | None = None,
    trusted: Callable[[Any], bool] | None = None,
) -> ChainReport:
    """Check every event in sequence order; collect each problem with its sequence number.

    A deleted event shows as a gap, a reordered pair as altered content (the
    sequence number is signed) and a broken link, a flipped byte as a hash or
    signature failure. A truncated tail verifies on its own, so ``acknowledged``, the
    (seq, hash) of the newest acknowledgement the county signed, must be in the log.
    ``public_key`` signs from event 1; a ``station.restored`` event hands over to the key it
    names, from itself on (``report.key`` is the last one).
    """
    report = ChainReport()
    expected_seq, prev_hash = 1, GENESIS_HASH
    acked_hash = None
    for event in events:
        report.checked += 1
        if acknowledged and event.seq == acknowledged[0]:
            acked_hash = event.hash
        if event.seq != expected_seq:
            missing = f"{expected_seq}" if event.seq == expected_seq + 1 else (
                f"{expected_seq}..{event.seq - 1}")
            report.problems.append(Problem(event.seq, event.id,
                                           f"sequence gap: event(s) {missing} missing (deleted?)"))
        if event.prev_hash != prev_hash:
            report.problems.append(Problem(event.seq, event.id,
                                           "does not link to the previous event (chain broken)"))
        if station_id is not None and event.station_id != station_id:
            report.problems.append(Problem(event.seq, event.id,
                                           f"belongs to station {event.station_id!r}"))
        if event.type == SUCCESSOR_EVENT:
            found = _successor(event, public_key, trusted)
            if isinstance(found, str):
                report.problems.append(Problem(event.seq, event.id, found))
            else:
                public_key = found
        reason = check_event(event, public_key)
        if reason:
            report.problems.append(Problem(event.seq, event.id, reason))
        expected_seq, prev_hash = event.seq + 1, event.hash
    report.key = public_key
    if acknowledged and acked_hash != acknowledged[1]:
        seq = acknowledged[0]
        report.problems.append(Problem(seq, "-", (
            f"the county acknowledged events up to {seq}, but " +
            ("this log holds a different event there (rewritten?)" if acked_hash else
             f"this log ends at {expected_seq - 1} (truncated?)"))))
    return report
