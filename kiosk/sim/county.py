"""A county in memory for the port's contract test and the sync tests: it follows the
protocol's rules (gap, fork, refuse) and signs its acknowledgements like the real one."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from kiosk.adapters.county import ack_from
from kiosk.domain.disclosure import cut
from kiosk.domain.events import ChainHead, Event, Signer
from kiosk.ports import Ack, CountyRefused
from kiosk.protocol.roster import sign_page
from kiosk.protocol.sync import Accepted, Fork, Gap, Verdict, ack_body, judge, sign_ack


class FakeCountyLink:
    """A county in memory that follows the protocol's rules and signs its acknowledgements."""

    def __init__(self, public_keys: dict | None = None, signer: Signer | None = None) -> None:
        self.public_keys, self.signer = public_keys or {}, signer
        self.received: list[Event] = []
        self.down = False

    def push(self, station_id: str, events: list[Event], head: int | None = None) -> Ack:
        if self.down:
            raise ConnectionRefusedError("fake county is down")
        mine = [e for e in self.received if e.station_id == station_id]
        held = ChainHead(mine[-1].seq, mine[-1].hash) if mine else ChainHead()
        key = self.public_keys.get(station_id)
        if key is None:  # no enrolment known: accept as the old stub did (port tests)
            verdict: Verdict = Accepted([e for e in events if e.seq > held.seq])
        else:
            by_seq = {e.seq: e.hash for e in mine}
            verdict = judge(station_id, events, key, held, by_seq.get)
        if isinstance(verdict, Gap):
            raise CountyRefused(409, "gap", verdict.expected_seq)
        if isinstance(verdict, Fork):
            raise CountyRefused(409, "fork")
        if not isinstance(verdict, Accepted):
            raise CountyRefused(400, "refused", detail=verdict.reason)
        self.received.extend(replace(e, payload=cut(e.type, e.payload)) for e in verdict.new)
        last = self.received[-1] if self.received else events[-1]
        body = ack_body(station_id, last.seq, last.hash,
                        dt.datetime.now(dt.UTC).isoformat())
        return ack_from(sign_ack(body, self.signer) if self.signer else body)

    def lookup(self, station_id: str, card_no: str, record: bytes, tap: Event, signer: Signer,
               timeout: float = 3.0) -> dict[str, Any]:
        """This fake county holds no residents: every card is unknown to it."""
        if self.down:
            raise ConnectionRefusedError("fake county is down")
        raise CountyRefused(404, "unknown_card")

    def roster(self, station_id: str, after: str, signer: Signer) -> dict[str, Any]:
        """An empty roster page (this fake county shares nothing), signed like the real one's."""
        page: dict[str, Any] = {"for": station_id, "after": after, "next": after, "entries": [],
                                "stations": {}, "county_time": dt.datetime.now(dt.UTC).isoformat()}
        return sign_page(page, self.signer) if self.signer else page
