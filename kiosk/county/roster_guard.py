"""The roster rules at the county: judged as each push is stored, so the feed never serves an
entry that breaks them (kiosk.protocol.roster.refusal says who may change what).

A refused entry is kept back from the feed with its reason, and an ALERT line is logged: one
station's key was used to change what belongs to another."""

from __future__ import annotations

import logging

from kiosk.domain.events import Event
from kiosk.protocol.roster import refusal, serves, shared_data

log = logging.getLogger(__name__)


def screen_batch(tx, station_id: str, events: list[Event], at: str) -> list[tuple[int, str]]:
    """Learn what the new events show and keep back those the rules refuse, in the push's
    transaction; return the (seq, reason) of each refused one."""
    refused = []
    for event in events:
        payload = event.payload
        if event.type == "card.issued":  # technicians' too: their revocation must not cross
            tx.learn_card(payload["card_no"], station_id, payload["holder_id"],
                          payload.get("role", "resident"))
        data = shared_data(event.type, payload)
        if data is None:
            continue
        found = refusal(station_id, event.type, data, tx)
        if found is not None:
            tx.keep_back(station_id, event.seq, event.type, found.reason, at)
            refused.append((event.seq, found.reason))
            if found.alert:
                log.error("ALERT station %s: roster entry seq %d %s refused: %s", station_id,
                          event.seq, event.type, found.reason)
            continue
        if (resident_id := serves(event.type, data)) is not None:
            tx.learn_served(resident_id, station_id, event.type == "resident.registered")
    return refused
