"""The roster rules at the county: judged as each push is stored, so the feed never serves an
entry that breaks them (kiosk.protocol.roster.refusal says who may change what).

A refused entry is kept back from the feed with its reason; ``alert`` marks those that look
like one station's key used to change what belongs to another (the service logs an ALERT)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from kiosk.domain.events import Event
from kiosk.protocol.roster import RosterFacts, refusal, serves, shared_data


class RosterMemory(RosterFacts, Protocol):
    """What the county learns from pushes, and the entries it keeps back."""

    def learn_card(self, card_no: str, station_id: str, holder_id: str, role: str) -> None: ...
    def learn_served(self, resident_id: str, station_id: str, home: bool) -> None: ...
    def keep_back(self, station_id: str, seq: int, type_: str, reason: str, at: str) -> None: ...


@dataclass(frozen=True)
class KeptBack:
    seq: int
    type: str
    reason: str
    alert: bool


def screen_batch(memory: RosterMemory, station_id: str, events: list[Event], at: str
                 ) -> list[KeptBack]:
    """Learn what the new events show and keep back those the rules refuse, in the push's
    transaction; return the refused ones."""
    refused = []
    for event in events:
        payload = event.payload
        if event.type == "card.issued":  # technicians' too: their revocation must not cross
            memory.learn_card(payload["card_no"], station_id, payload["holder_id"],
                              payload.get("role", "resident"))
        data = shared_data(event.type, payload)
        if data is None:
            continue
        found = refusal(station_id, event.type, data, memory)
        if found is not None:
            memory.keep_back(station_id, event.seq, event.type, found.reason, at)
            refused.append(KeptBack(event.seq, event.type, found.reason, found.alert))
            continue
        if (resident_id := serves(event.type, data)) is not None:
            memory.learn_served(resident_id, station_id, event.type == "resident.registered")
    return refused
