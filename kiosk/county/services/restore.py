"""A station's stored chain for its successor key (GET /api/v1/stations/<id>/restore): the
events after ``after`` exactly as stored, the county's signed head and the signed succession.
Only the key of a pending succession may ask (kiosk.county.web.api.restore checks that and
the request's signature)."""

from __future__ import annotations

from typing import Any

from kiosk.county.services.stations import Stations
from kiosk.county.store.sql import SqlCountyStore

MAX_PAGE = 5000


class ChainRestore:
    def __init__(self, store: SqlCountyStore, stations: Stations):
        self.store, self.stations = store, stations

    def page(self, station_id: str, after: int, limit: int, succession: dict[str, Any]
             ) -> dict[str, Any]:
        head_seq, head = self.stations.signed_head(station_id)  # events stored meanwhile stay out
        events = [e for e in self.store.events(station_id, after, min(limit, MAX_PAGE))
                  if e.seq <= head_seq]
        return {"events": [vars(e) for e in events], "head": head, "succession": succession}
