"""Looking up a visitor (issue 24): a station that does not hold a resident whose card was tapped
there asks for her record; the county answers for an active card whose signed record the
station presents, within the station's rate, and logs every lookup in its audit trail
(``county_audit``, actor ``station:<id>``) and in ``visitor_lookups`` (which the rate counts).

The request's signature is checked by kiosk.county.web.station_auth; the rules are
kiosk.county.domain.visitors; the answer is her record as roster entries, signed."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

from kiosk.county.domain.clock import Clock, stamp
from kiosk.county.domain.stations import StationRecord
from kiosk.county.domain.successions import former_keys, key_schedule
from kiosk.county.domain.visitors import CardAtCounty, LookupRefused, RosterPolicy, judge_card, judge_tap, over_rate
from kiosk.county.store.base import Writing
from kiosk.county.store.sql import SqlCountyStore
from kiosk.domain.card_records import CardRecord
from kiosk.domain.events import check_event
from kiosk.keys import StationKey, make_verifier, public_key_from_hex
from kiosk.protocol import roster as feed
from kiosk.protocol.sync import Malformed, check_shape, parse_batch
from kiosk.protocol.visitors import sign_answer

log = logging.getLogger("kiosk.county")


@dataclass(frozen=True)
class LookupRequest:
    card_no: str
    record: bytes
    tap: Any  # kiosk.domain.events.Event


def parse_request(body: bytes) -> LookupRequest | LookupRefused:
    try:
        check_shape(body)  # before json.loads, whose recursion a deep body exhausts
        data = json.loads(body)
        card_no, record = data["card_no"], bytes.fromhex(data["record"])
        tap = parse_batch({"events": [data["tap"]]})[0]
    except (ValueError, KeyError, TypeError, Malformed) as exc:
        return LookupRefused(400, "malformed", str(exc)[:200])
    if not isinstance(card_no, str) or not 1 <= len(card_no) <= 32 or len(record) > 512:
        return LookupRefused(400, "malformed", "card_no and record out of range")
    return LookupRequest(card_no, record, tap)


class VisitorLookups:
    def __init__(self, store: SqlCountyStore, key: StationKey, clock: Clock,
                 policy: RosterPolicy | None = None):
        self.store, self.key, self.clock = store, key, clock
        self.policy = policy or RosterPolicy()
        self._alerted: set[tuple[str, str, str]] = set()

    def lookup(self, station: StationRecord, body: bytes) -> LookupRefused | dict[str, Any]:
        """Her record for the asking (enrolled, signature-checked) station, or why not."""
        now = self.clock.now()
        over = over_rate(self.store.lookups_since(station.id, stamp(now - dt.timedelta(minutes=1))),
                         self.store.lookups_since(station.id, stamp(now - dt.timedelta(days=1))),
                         self.policy)
        if over is not None:
            self._alert(station.id, over, now)
            return over
        request = parse_request(body)
        if isinstance(request, LookupRefused):
            log.warning("station %s: visitor lookup refused: %s", station.id, request.detail)
            return request
        keys = key_schedule(self.store.successions(station.id), station.public_key)
        problem = check_event(request.tap, keys.key_for(request.tap))
        card = self._card(request.card_no)
        record = judge_card(request.card_no, request.record, self._verifier(), card)
        at = stamp(now)

        def decide(tx: Writing) -> LookupRefused | str:
            used = tx.tap_used(station.id, request.tap.seq)
            refused = judge_tap(station.id, request.tap, problem, request.card_no,
                                request.record, used)
            refused = refused or (record if isinstance(record, LookupRefused) else None)
            resident = card.holder_id if card is not None and refused is None else None
            if not (refused is not None and refused.reason in ("malformed", "tap_used")):
                outcome = "answered" if refused is None else refused.reason
                tx.record_lookup(station.id, at, request.card_no, resident, request.tap.seq,
                                 outcome)
                tx.audit(at, f"station:{station.id}", "station", "visitor.lookup",
                         resident or "", "", f"card {request.card_no}, tap seq "
                         f"{request.tap.seq}: {outcome}")
            return refused if refused is not None else str(resident)

        decided = self.store.write(decide)
        if isinstance(decided, LookupRefused):
            log.warning("station %s: visitor lookup of card %s refused: %s %s", station.id,
                        request.card_no, decided.reason, decided.detail)
            return decided
        assert isinstance(record, CardRecord)
        return self.answer(station.id, request.card_no, decided, now)

    def answer(self, station_id: str, card_no: str, resident_id: str, now: dt.datetime
               ) -> dict[str, Any]:
        """Her record as roster entries (what the roster serves of her), signed."""
        return sign_answer({"for": station_id, "card_no": card_no, "resident_id": resident_id,
                            "home": self.store.home_of(resident_id),
                            "entries": self.record(resident_id),
                            "presence_window_s": self.policy.presence_window_s,
                            "county_time": stamp(now)}, self.key)

    def record(self, resident_id: str) -> list[dict[str, Any]]:
        """Every entry about her the roster serves, in the order the county took them."""
        return [e for e in (feed.entry(None, *row) for row in self.store.history(resident_id))
                if e is not None]

    def _card(self, card_no: str) -> CardAtCounty | None:
        status = self.store.card_status(card_no)
        if status is None:
            return None
        return CardAtCounty(status.issuer, status.holder_id, status.role, status.revoked,
                            status.issued_seq, self.store.revocations().get(status.issuer),
                            self.store.trusted_seqs().get(status.issuer))

    def _verifier(self):  # type: ignore[no-untyped-def]
        """Card records verify under their issuer's key (revoked stations' too: judge_card
        decides about those) or a key it had before a restore."""
        keys = {s.id: public_key_from_hex(s.public_key) for s in self.store.stations()}
        former = former_keys(self.store.former_key_rows(), set(keys))
        return make_verifier(keys, former=lambda sid: [public_key_from_hex(k)
                                                       for k in former.get(sid, [])])

    def _alert(self, station_id: str, over: LookupRefused, now: dt.datetime) -> None:
        """One ALERT line per station, limit and period (a refused ask is not stored, so a
        station cannot grow the database or the log by asking)."""
        period = now.strftime("%Y-%m-%dT%H:%M") if over.reason == "lookups_per_minute" \
            else now.strftime("%Y-%m-%d")
        if (station_id, over.reason, period) in self._alerted:
            return
        self._alerted = {k for k in self._alerted if k[2] >= period[:10]}
        self._alerted.add((station_id, over.reason, period))
        log.error("ALERT station %s asks for visitor records beyond its limit: %s", station_id,
                  over.detail)
