"""The roster rules at the county: judged as each event of a push is stored, so the feed never
serves an entry that breaks them (kiosk.protocol.roster_rules says who may change what).

A refused entry is kept back from the feed with its reason; ``alert`` marks those that look
like one station's key used to change what belongs to another (the service logs an ALERT).
The facts the rules read (her home, where her card was seen) are the county's read models
(kiosk.county.projections.homes), brought up to date event by event, so an event is judged
on everything before it, in the same push too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from kiosk.domain.events import Event
from kiosk.protocol.roster import shared_data
from kiosk.protocol.roster_rules import DEFAULT_PRESENCE_WINDOW_S, Entry, RosterFacts, refusal, subject


class RosterMemory(RosterFacts, Protocol):
    """What the county learns from pushes, and the entries it keeps back."""

    def learn_card(self, card_no: str, station_id: str, holder_id: str, role: str) -> None: ...
    def keep_back(self, station_id: str, seq: int, type_: str, reason: str, at: str) -> None: ...


@dataclass(frozen=True)
class KeptBack:
    seq: int
    type: str
    reason: str
    alert: bool


def screen_event(memory: RosterMemory, station_id: str, event: Event, at: str,
                 window_s: int = DEFAULT_PRESENCE_WINDOW_S) -> KeptBack | None:
    """Judge one newly stored event (in the push's transaction): keep it back and say why
    when the rules refuse it; learn the card it issues when they accept it (a technician's
    card is learned too, so that its revocation never crosses; a resident card the rules
    refused is not, so it shows her nowhere)."""
    payload = event.payload
    if event.type == "card.issued" and payload.get("role", "resident") != "resident":
        memory.learn_card(payload["card_no"], station_id, payload["holder_id"],
                          payload.get("role", "resident"))
        return None
    data = shared_data(event.type, payload)
    if data is None:
        return None
    found = refusal(Entry(station_id, event.seq, event.type, data, event.wall_time), memory,
                    window_s)
    if found is not None:
        memory.keep_back(station_id, event.seq, event.type, found.reason, at)
        return KeptBack(event.seq, event.type, found.reason, found.alert)
    if event.type == "card.issued":
        memory.learn_card(payload["card_no"], station_id, payload["holder_id"], "resident")
    return None


def asked_about(events: list[Event]) -> tuple[set[str], set[str]]:
    """The residents and cards the rules and the home stations' model may ask about while
    these events are judged and applied (the store reads them at once: a batch's events are
    mostly about the same few residents; what the batch itself changes is read again)."""
    residents: set[str] = set()
    cards: set[str] = set()
    for event in events:
        data = shared_data(event.type, event.payload)
        if data is None:
            continue
        resident_id = subject(event.type, data)
        if isinstance(resident_id, str) and resident_id:
            residents.add(resident_id)
        cards.update(v for k in ("card_no", "replaced_by") if isinstance(v := data.get(k), str))
    return residents, cards
