"""A county app on SQLite or PostgreSQL with stations whose signed chains a test writes event by
event (their clocks set by the test), for the home-station tests (issue 24) and the presence
rule (issue 23, N7). Shared by tests/county/test_home_stations.py and test_presence_rule.py."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.adapters.clock import FakeClock
from kiosk.county.bootstrap import open_store_at, wire
from kiosk.county.domain.visitors import RosterPolicy
from kiosk.county.web.app import create_county_app
from kiosk.domain.card_records import CardRecord, sign_record
from kiosk.domain.events import ChainHead, Event, canonical_json
from kiosk.domain.unit_of_work import EventFactory
from kiosk.keys import StationKey
from kiosk.protocol.visitors import record_digest, request_body, request_message

START = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)


class StationChain:
    """One station's signed chain, written by the test and pushed to the county."""

    def __init__(self, station_id: str, clock: FakeClock):
        self.id, self.key, self.clock = station_id, StationKey(Ed25519PrivateKey.generate()), clock
        self.factory, self.head = EventFactory(station_id, self.key, clock), ChainHead()
        self.unpushed: list[Event] = []
        self.cards = 0

    def add(self, type_: str, payload: dict[str, Any]) -> Event:
        event = self.factory.next(self.head, type_, payload)
        self.head = ChainHead(event.seq, event.hash)
        self.unpushed.append(event)
        return event

    def register(self, resident_id: str, name: str) -> None:
        self.add("resident.registered", {"id": resident_id, "name": name, "birth_date": "1990-01-01",
                                         "village": "东湾村", "consent_version": "v1",
                                         "consent_at": "2026-11-01", "registered_at": "2026-11-01"})

    def issue(self, resident_id: str) -> tuple[str, bytes]:
        """A card for her: (card number, its signed record)."""
        self.cards += 1
        card_no = f"{self.id[-1].upper()}CARD{self.cards:05d}"
        record = sign_record(CardRecord(card_no, "resident", bytes([4, self.cards, 2, 3]),
                                        int(self.clock.now().timestamp()), self.id), self.key)
        self.add("card.issued", {"card_no": card_no, "role": "resident", "holder_id": resident_id,
                                 "uid_hash": "00", "kind": "cpu", "reason": "new", "by": "t"})
        return card_no, record

    def check_in(self, resident_id: str, card_no: str) -> None:
        self.add("checkin.created", {"checkin_id": f"ci-{self.head.seq}", "resident_id": resident_id,
                                     "local_date": "2026-12-01", "queue_no": 1, "card_no": card_no})

    def tap(self, card_no: str, record: bytes) -> Event:
        return self.add("visitor.tapped", {"card_no": card_no, "issuer": "x",
                                           "record": record_digest(record)})


class HomesCounty:
    """The county app, its store, clock and stations st-a, st-b, st-c (enrolled)."""

    def __init__(self, database: str, policy: RosterPolicy | None = None):
        self.clock = FakeClock(START)
        self.key = StationKey(Ed25519PrivateKey.generate())
        self.store = open_store_at(database, self.clock)
        self.stations = {sid: StationChain(sid, self.clock) for sid in ("st-a", "st-b", "st-c")}
        for sid, chain in self.stations.items():
            self.store.enroll(sid, chain.key.public_bytes().hex(), "2026-11-29T00:00:00.000000Z")
        self.services = wire(self.store, self.key, self.clock, policy=policy)
        self.client = create_county_app(self.services).test_client()

    def push(self, station_id: str) -> None:
        chain = self.stations[station_id]
        response = self.client.post(f"/api/v1/stations/{station_id}/events",
                                    data=json.dumps({"events": [vars(e) for e in chain.unpushed]}),
                                    content_type="application/json")
        assert response.status_code == 200, response.json
        chain.unpushed.clear()

    def feed(self, station_id: str) -> list[dict[str, Any]]:
        """Every entry the roster serves the station from the start."""
        entries, after = [], ""
        while True:
            page = self.services.roster.page(station_id, after)
            entries += page["entries"]
            if page["next"] == after:
                return entries
            after = page["next"]

    def lookup(self, station_id: str, card_no: str, record: bytes, tap: Event | None = None):
        """POST /api/v1/visitors/lookup as the station signs it (a new tap unless given)."""
        if tap is None:
            tap = self.stations[station_id].tap(card_no, record)
            self.push(station_id)
        return self.lookup_body(station_id, request_body(card_no, record, vars(tap)))

    def lookup_body(self, station_id: str, body: bytes):
        """A lookup request with this body, signed as the station signs it."""
        now = self.clock.now().isoformat()
        return self.client.post("/api/v1/visitors/lookup", data=body, headers={
            "Content-Type": "application/json", "X-Station-Id": station_id, "X-Station-Time": now,
            "X-Station-Signature": self.stations[station_id].key.sign(
                request_message(station_id, now, body)).hex()})

    def kept_back(self, station_id: str) -> list[tuple[int, str]]:
        return [(seq, type_) for seq, type_, *_ in self.store.backend.reader().execute(
            "SELECT seq, type, reason FROM roster_refused WHERE station_id = ? ORDER BY seq",
            (station_id,)).fetchall()]

    def close(self) -> None:
        self.store.close()


def dumps(value: Any) -> str:
    return canonical_json(value).decode()
