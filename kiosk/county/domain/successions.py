"""Key successions: `kiosk-county replace` enrols a new key as the successor of a station's
key and signs the succession (kiosk.protocol.succession).

A succession is *pending* until the station's ``station.restored`` event, signed by the new
key, is stored: then ``taken_seq`` says from which seq the new key signs. While it is pending
the new key may pull the old chain (GET .../restore) and the old key's pushes still count;
once taken, only the new key extends the chain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.county.domain.errors import SuccessionRefused
from kiosk.county.domain.stations import StationRecord
from kiosk.protocol.succession import KeySchedule, succession_body


@dataclass(frozen=True)
class Succession:
    """One stored succession of a station's key, oldest first."""

    public_key: str
    previous_key: str
    county_time: str
    signature: str
    taken_seq: int | None


def key_schedule(successions: list[Succession], enrolled_key: str) -> KeySchedule:
    """The keys of a station's chain: the first enrolled one, each taken successor from its
    ``station.restored`` seq, and the pending successor, if any."""
    if not successions:
        return KeySchedule(enrolled_key)
    switches = [(s.taken_seq, s.public_key) for s in successions if s.taken_seq is not None]
    pending = next((s.public_key for s in successions if s.taken_seq is None), None)
    return KeySchedule(successions[0].previous_key, switches, pending)


def pending(successions: list[Succession], station_id: str, public_key: str
            ) -> dict[str, Any] | None:
    """The signed succession that enrolled ``public_key`` and is not taken yet, if any."""
    for s in successions:
        if s.public_key == public_key and s.taken_seq is None:
            return {**succession_body(station_id, s.previous_key, s.public_key, s.county_time),
                    "signature": s.signature}
    return None


def check_successor(station: StationRecord | None, station_id: str, successions: list[Succession],
                    public_key: str) -> str:
    """The key the successor follows (the chain's current key), or SuccessionRefused."""
    if station is None:
        raise SuccessionRefused(f"no station {station_id!r} (enrol it first)")
    if not station.enrolled:
        raise SuccessionRefused(f"station {station_id!r} is {station.status}: enrol it again instead")
    previous = key_schedule(successions, station.public_key).current
    if public_key == previous or any(s.public_key == public_key for s in successions):
        raise SuccessionRefused("this key already signed for the station: a successor "
                                "needs a new key (kiosk keygen on the new card)")
    return previous


def former_keys(rows: list[tuple[str, str]], stations: set[str]) -> dict[str, list[str]]:
    """Each station's keys before its successors (the roster page's ``former``), from
    (station, previous key) rows in order: the card records they signed stay valid."""
    found: dict[str, list[str]] = {}
    for station_id, key in rows:
        if station_id in stations and key not in found.setdefault(station_id, []):
            found[station_id].append(key)
    return found
