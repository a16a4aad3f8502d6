"""Home stations (issue 24): where each resident lives, where her card was last seen at each
station, which shared events are about her, and which cards a revocation ended.

- Her home is the station that registered her, or the destination of the newest
  ``resident.moved`` the rules accepted (newest: as the county took it, so a rebuild that
  replays station by station ends where the live model did).
- Her presence at a station is the last event of that station's chain that shows her card
  there (kiosk.protocol.roster_rules.presence): the roster rules' evidence for a change made
  away from her home.
- The index of what is about her is what a visitor lookup and a move send her (new) station.

Events the roster rules kept back are skipped (``roster_refused`` says so, live and in a
rebuild)."""

from __future__ import annotations

from kiosk.county.store.base import Writing
from kiosk.domain.events import Event
from kiosk.protocol.roster import shared_data
from kiosk.protocol.roster_rules import Entry, presence, subject


class HomeStations:
    name = "home_stations"
    each_event = True  # the roster rules judge each event on her home and presence so far

    def apply(self, tx: Writing, station_id: str, events: list[Event]) -> None:
        shared = [(e, d) for e in events if (d := shared_data(e.type, e.payload)) is not None]
        if not shared:
            return
        first, last = shared[0][0].seq, shared[-1][0].seq
        received = tx.received_at(station_id, first, last)
        kept_back = tx.kept_back_seqs(station_id, first, last)
        for event, data in shared:
            if event.seq in kept_back:
                continue
            self._apply(tx, station_id, event, data, received.get(event.seq, ""))

    @staticmethod
    def _apply(tx: Writing, station_id: str, event: Event, data: dict, received_at: str) -> None:
        type_ = event.type
        if type_ == "card.revoked":
            card = tx.card(data["card_no"])
            if card is None or card.role != "resident":
                return
            tx.revoke_card(data["card_no"])  # the rules accepted it: revoked everywhere
            tx.index_entry(card.holder_id, station_id, event.seq, received_at)
            return
        resident_id = subject(type_, data)
        if not resident_id:
            return
        tx.index_entry(resident_id, station_id, event.seq, received_at)
        if type_ == "resident.registered":
            tx.register_home(resident_id, station_id)
        elif type_ == "resident.moved" and data.get("to"):
            tx.move_home(resident_id, data["to"], f"{received_at}|{station_id}|{event.seq:012d}")
        elif type_ == "card.issued":
            tx.card_issued_at(data["card_no"], station_id, event.seq)
        seen = presence(Entry(station_id, event.seq, type_, data, event.wall_time), tx)
        if seen is not None:
            tx.see(resident_id, station_id, seen)

    def reset(self, tx: Writing) -> None:
        tx.reset_homes()
