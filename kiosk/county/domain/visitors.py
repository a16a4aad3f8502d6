"""Visitor lookups at the county (issue 24): the pure rules. A station asks for the record of a
resident whose card was tapped there and who does not live there; the county answers only for
an active resident card whose signed record the station presents, named by a tap event the
station signed and no lookup used before, and within the station's rate.

Everything here is decided on values the service reads from the store; nothing here reads,
writes or logs (kiosk.county.services.visitors does)."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.county.domain.clock import parse_stamp
from kiosk.domain.card_records import CardRecord, RecordRefused, Verifier, verify_record
from kiosk.domain.events import Event
from kiosk.protocol.roster_rules import DEFAULT_PRESENCE_WINDOW_S
from kiosk.protocol.visitors import TAPPED, record_digest


@dataclass(frozen=True)
class RosterPolicy:
    """The county's settings for the roster rules and the lookups (county.toml, [county])."""

    presence_window_s: int = DEFAULT_PRESENCE_WINDOW_S  # a change away from home needs her card
    lookups_per_minute: int = 30      # per station; beyond: 429
    lookup_alert_per_day: int = 300   # per station in 24 h; beyond: 429 and an ALERT


@dataclass(frozen=True)
class LookupRefused:
    status: int   # 400 malformed, 403 not this station's / not active, 404 unknown, 409, 429
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class CardAtCounty:
    """What the county knows of the card and of its issuing station."""

    issuer: str
    holder_id: str
    role: str
    revoked: bool
    issued_seq: int | None
    issuer_revoked_at: str | None = None   # the issuing station was revoked then
    issuer_trusted_seq: int | None = None  # its events after this seq are not trusted


def over_rate(last_minute: int, last_day: int, policy: RosterPolicy) -> LookupRefused | None:
    """429 when the station asked ``lookups_per_minute`` times in the last minute, or
    ``lookup_alert_per_day`` times in the last 24 hours (the service logs an ALERT)."""
    if last_day >= policy.lookup_alert_per_day:
        return LookupRefused(429, "lookups_per_day", f"more than {policy.lookup_alert_per_day} "
                             "lookups in 24 hours")
    if last_minute >= policy.lookups_per_minute:
        return LookupRefused(429, "lookups_per_minute",
                             f"more than {policy.lookups_per_minute} lookups a minute")
    return None


def judge_tap(station_id: str, tap: Event, problem: str | None, card_no: str, record: bytes,
              used: bool) -> LookupRefused | None:
    """The tap event names this card's record and is the asking station's own, signed
    (``problem``: what kiosk.domain.events.check_event found wrong, if anything), and no lookup
    used it before. Its time is not judged: the station's key signs any time, an offline
    check-in is linked days later, and the request itself is fresh (station_auth)."""
    if tap.station_id != station_id or tap.type != TAPPED:
        return LookupRefused(400, "malformed", "tap must be the station's own visitor.tapped event")
    if problem is not None:
        return LookupRefused(403, "bad_tap", problem)
    if tap.payload.get("card_no") != card_no or tap.payload.get("record") != record_digest(record):
        return LookupRefused(400, "malformed", "the tap event names another card or record")
    if used:
        return LookupRefused(409, "tap_used", "each tap event answers one lookup")
    return None


def judge_card(card_no: str, record: bytes, verify: Verifier, card: CardAtCounty | None
               ) -> LookupRefused | CardRecord:
    """The card's record, if the card is an active resident card whose signed record this
    is: signed by the station that issued that number (or its former key), for that number.
    A card of a revoked station counts only if it was issued before the revocation, by the
    record's date and by the seq of its ``card.issued`` (at most the trusted seq)."""
    if card is None or card.role != "resident":
        return LookupRefused(404, "unknown_card")
    try:
        parsed = verify_record(record, _uid_of(record), verify)
    except RecordRefused as refused:
        return LookupRefused(403, "bad_record", refused.reason)
    if parsed.card_no != card_no or parsed.station_id != card.issuer or parsed.role != "resident":
        return LookupRefused(403, "bad_record", "the record is not the one issued for this card")
    if card.revoked:
        return LookupRefused(403, "revoked")
    if card.issuer_revoked_at is not None:
        revoked = parse_stamp(card.issuer_revoked_at)
        late = revoked is not None and parsed.issued_at >= revoked.timestamp()
        untrusted = (card.issuer_trusted_seq is not None and card.issued_seq is not None
                     and card.issued_seq > card.issuer_trusted_seq)
        if late or untrusted:
            return LookupRefused(403, "revoked", "issued by a revoked station")
    return parsed


def _uid_of(record: bytes) -> bytes:
    """The UID the record names: the station that tapped it checked it against the card."""
    from kiosk.domain.card_records import parse_record
    try:
        return parse_record(record).uid
    except RecordRefused:
        return b""
