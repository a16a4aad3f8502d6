"""The roster feed: a page of the other stations' shared entries for a station that signed
its ask (the signature is checked by kiosk.county.web.station_auth), signed by the county.

A station gets only what it needs (issue 24): the entries about its own residents (her home
station is a county read model, kiosk.county.projections.homes, read when the page is made),
the numbers of the cards revoked for everyone else's, and a move's entries: the station she
left hears that she left, the station she moved to gets her whole record with it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kiosk.county.domain.clock import Clock, stamp
from kiosk.county.domain.successions import former_keys
from kiosk.county.domain.visitors import RosterPolicy
from kiosk.county.services.visitors import VisitorLookups
from kiosk.county.store.sql import SqlCountyStore
from kiosk.keys import StationKey
from kiosk.protocol import roster as feed
from kiosk.protocol.roster_rules import subject

PAGE = 1000
# What stations before version 2 can apply (they know no other entry types).
VERSION_1_TYPES = ("resident.registered", "resident.corrected", "consent.given",
                   "consent.withdrawn", "card.issued", "card.revoked", "care.enrolled",
                   "care_item.declined", "visit.logged", "visit.corrected")


class RosterFeed:
    def __init__(self, store: SqlCountyStore, key: StationKey, clock: Clock,
                 policy: RosterPolicy | None = None):
        self.store, self.key, self.clock = store, key, clock
        self.policy = policy or RosterPolicy()
        self.records = VisitorLookups(store, key, clock, self.policy)

    def _page(self, station_id: str, body: dict[str, Any]) -> dict[str, Any]:
        keys = {s.id: s.public_key for s in self.store.stations() if s.enrolled}
        page = {"for": station_id, **body, "stations": keys,
                "revoked": self.store.revocations(), "trusted_seq": self.store.trusted_seqs(),
                "presence_window_s": self.policy.presence_window_s,
                "county_time": stamp(self.clock.now()),
                "former": former_keys(self.store.former_key_rows(), set(keys))}
        return feed.sign_page(page, self.key)

    def page(self, station_id: str, after: str) -> dict[str, Any]:
        """Version 2: the entries after the station's per-station positions (a version-1
        cursor, digits alone, is converted to the positions it stood for: a station's first
        pull after its upgrade). ProtocolError when ``after`` is neither."""
        positions = (self.store.legacy_positions(int(after)) if after.isdigit()
                     else feed.parse_positions(after))
        rows, reached = self.store.follow(positions, PAGE, exclude=station_id)
        return self._page(station_id, {"after": after, "next": feed.encode_positions(reached),
                                       "entries": self.for_station(station_id, rows)})

    def legacy_page(self, station_id: str, after: int) -> dict[str, Any]:
        """Version 1: entries after a global row number (stations not yet upgraded), the
        same entries as version 2 of the types those stations know."""
        rows, last = self.store.legacy_feed(station_id, after, PAGE)
        entries = self.for_station(station_id, [row[1:] for row in rows],
                                   types=VERSION_1_TYPES)
        return self._page(station_id, {"after": after, "next": last, "entries": entries})

    def for_station(self, station_id: str,
                    rows: Iterable[tuple[str, int, str, dict[str, Any], str]],
                    types: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """The entries of ``rows`` that ``station_id`` gets, cut to what it may hold."""
        wanted = set(types) if types is not None else None
        found = [e for row in rows if (e := feed.entry(None, *row)) is not None
                 and (wanted is None or e["type"] in wanted)]
        holders = self.store.card_holders(e["data"]["card_no"] for e in found
                                          if e["type"] == "card.revoked")
        homes = self.store.homes_of(
            [s for e in found if (s := _about(e, holders)) is not None])
        entries = []
        for entry in found:
            data, type_ = entry["data"], entry["type"]
            resident = _about(entry, holders)
            if type_ == "card.revoked":
                issuer = holders.get(data["card_no"], ("", ""))[0]
                if homes.get(resident or "") != station_id and issuer != station_id:
                    entry = {**entry, "data": feed.revocation_notice(data["card_no"])}
                entries.append(entry)
            elif type_ == "resident.moved" and data.get("to") == station_id:
                entries.append({**entry, "record": self.records.record(str(resident))})
            elif (type_ == "resident.moved" and data.get("from") == station_id) or (
                    resident is not None and homes.get(resident) == station_id):
                entries.append(entry)
        return entries


def _about(entry: dict[str, Any], holders: dict[str, tuple[str, str]]) -> str | None:
    if entry["type"] == "card.revoked":
        return holders.get(entry["data"]["card_no"], ("", None))[1]
    return subject(entry["type"], entry["data"])
