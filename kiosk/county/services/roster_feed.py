"""The roster feed: a page of the other stations' shared entries for a station that signed
its ask (the signature is checked by kiosk.county.web.station_auth), signed by the county."""

from __future__ import annotations

from typing import Any

from kiosk.county.domain.clock import Clock, stamp
from kiosk.county.domain.successions import former_keys
from kiosk.county.store.sql import SqlCountyStore
from kiosk.keys import StationKey
from kiosk.protocol import roster as feed

PAGE = 1000


class RosterFeed:
    def __init__(self, store: SqlCountyStore, key: StationKey, clock: Clock):
        self.store, self.key, self.clock = store, key, clock

    def _page(self, station_id: str, body: dict[str, Any]) -> dict[str, Any]:
        keys = {s.id: s.public_key for s in self.store.stations() if s.enrolled}
        page = {"for": station_id, **body, "stations": keys,
                "revoked": self.store.revocations(), "county_time": stamp(self.clock.now()),
                "former": former_keys(self.store.former_key_rows(), set(keys))}
        return feed.sign_page(page, self.key)

    def page(self, station_id: str, after: str) -> dict[str, Any]:
        """Version 2: the entries after the station's per-station positions (a version-1
        cursor, digits alone, is converted to the positions it stood for: a station's first
        pull after its upgrade). ProtocolError when ``after`` is neither."""
        positions = (self.store.legacy_positions(int(after)) if after.isdigit()
                     else feed.parse_positions(after))
        rows, reached = self.store.follow(positions, PAGE, exclude=station_id)
        entries = [e for e in (feed.entry(None, *row) for row in rows) if e is not None]
        return self._page(station_id, {"after": after, "next": feed.encode_positions(reached),
                                       "entries": entries})

    def legacy_page(self, station_id: str, after: int) -> dict[str, Any]:
        """Version 1: entries after a global row number (stations not yet upgraded)."""
        rows, last = self.store.legacy_feed(station_id, after, PAGE)
        entries = [e for e in (feed.entry(*row) for row in rows) if e is not None]
        return self._page(station_id, {"after": after, "next": last, "entries": entries})
