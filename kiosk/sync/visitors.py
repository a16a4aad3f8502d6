"""Visitors and the county (issue 24): asking for a visitor's record, keeping it, linking
offline check-ins once the county answers, and forgetting those no longer kept.

``ask`` presents the card's signed record and the station's own signed ``visitor.tapped``
event (kiosk.protocol.visitors); ``keep`` applies her record through the roster rules in one
unit of work with a ``visitor.looked_up`` event (and a ``checkin.linked`` event for each
offline check-in of her card); ``link_waiting`` does that for offline check-ins after a
push; ``forget_expired`` forgets (kiosk.store.visitors). The tap path is
kiosk.station.visitors; the sync thread calls ``link_waiting`` and ``forget_expired``."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from kiosk.domain.events import Event
from kiosk.domain.model import local_date
from kiosk.domain.visitors import LINKED, LOOKED_UP, TAPPED, record_digest
from kiosk.errors import ProtocolError
from kiosk.ports import CountyRefused
from kiosk.protocol.visitors import verify_answer
from kiosk.store.sqlite import EVENT_COLUMNS
from kiosk.store.visitors import VACUUM_FLAG, SqliteVisitors, compact, needs_vacuum, purge

log = logging.getLogger(__name__)
LOOKUP_TIMEOUT = 3.0  # she waits at the kiosk; offline she is checked in by her card


@dataclass(frozen=True)
class Refused:
    """The county would not give her record: ``status`` 403 (revoked, or a record it does
    not take), 404 (a card it does not know yet), 409 or 429 (ask again later)."""

    status: int
    reason: str


def own_event(db: Any, seq: int) -> Event | None:
    row = db.execute(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE seq = ?",
                     (seq,)).fetchone()
    if row is None:
        return None
    data = dict(zip(EVENT_COLUMNS, row, strict=True))
    return Event(**{**data, "payload": json.loads(data["payload"])})


def ask(core: Any, link: Any, county_key: Any, card_no: str, record: bytes, tap_seq: int
        ) -> dict[str, Any] | Refused | None:
    """Her record from the county (checked), why it would not give it, or None when it is
    out of reach (or answered something unsigned)."""
    if link is None or county_key is None:
        return None
    with core.writer.lock:
        tap = own_event(core.db, tap_seq)
    if tap is None or tap.type != TAPPED:
        return None
    station_id = core.config.station.id
    try:
        answer = link.lookup(station_id, card_no, record, tap, core.key, timeout=LOOKUP_TIMEOUT)
        return verify_answer(answer, county_key, station_id, card_no)
    except CountyRefused as refused:
        log.warning("visitor card %s: county answered %d %s", card_no, refused.status,
                    refused.reason)
        return Refused(refused.status, refused.reason)
    except ProtocolError as exc:
        log.error("ALERT visitor card %s: %s", card_no, exc)
        return None
    except (OSError, ValueError) as exc:
        log.info("visitor card %s: county out of reach (%s)", card_no, exc)
        return None


def keep(core: Any, answer: dict[str, Any], card_no: str, tap_seq: int) -> bool:
    """Her record, applied through the roster rules, kept as a visitor's; her offline
    check-ins linked to it. False when the rules left her card unknown here."""
    resident_id = answer["resident_id"]
    now = core.clock.now()
    today = local_date(now, core.config.station.timezone).isoformat()
    with core.uow() as uow:
        if "presence_window_s" in answer:
            uow.roster.set_window(int(answer["presence_window_s"]))
        applied = uow.roster.apply_entries(answer["entries"], core.config.station.id,
                                           core.care.plans, answer["county_time"],
                                           admit=frozenset({resident_id}))
        card = uow.issued_cards.get(card_no)
        if card is None or card.holder_id != resident_id or uow.residents.get(resident_id) is None:
            log.error("ALERT visitor card %s: her record from the county did not bring the "
                      "card (%d entries refused)", card_no, len(applied.refused))
            return False  # rolled back: nothing of her is kept
        if uow.homes.get(resident_id) is not None:  # she is a visitor (not one moved here)
            uow.visitors.hold(resident_id, today)
        for checkin_id, checked_in_at in uow.visitors.link(card_no, resident_id):
            uow.record(LINKED, {"checkin_id": checkin_id, "resident_id": resident_id,
                                "card_no": card_no, "checked_in_at": checked_in_at})
        uow.record(LOOKED_UP, {"resident_id": resident_id, "card_no": card_no,
                               "tap_seq": tap_seq, "entries": len(answer["entries"]),
                               "refused": applied.refused})
        uow.commit()
    return True


def new_tap(core: Any, card_no: str, issuer: str, record: bytes) -> int:
    """A fresh tap event for a card (each lookup uses its own)."""
    with core.uow() as uow:
        event = uow.record(TAPPED, {"card_no": card_no, "issuer": issuer,
                                    "record": record_digest(record)})
        uow.commit()
        return event.seq


def link_waiting(core: Any, link: Any, county_key: Any) -> int:
    """Offline check-ins of visitors, linked to their records now that the county answers;
    how many cards were linked."""
    with core.writer.lock:
        waiting = SqliteVisitors(core.db).waiting()
    linked = 0
    for card_no, issuer, record_hex, tap_seq in waiting:
        record = bytes.fromhex(record_hex)
        answer = ask(core, link, county_key, card_no, record, tap_seq)
        if isinstance(answer, Refused) and answer.reason == "tap_used":
            tap_seq = new_tap(core, card_no, issuer, record)
            answer = ask(core, link, county_key, card_no, record, tap_seq)
        if answer is None:
            return linked  # out of reach: try again after the next push
        if isinstance(answer, Refused):
            if answer.status == 403:  # revoked or not taken: stays on her card number
                with core.uow() as uow:
                    uow.visitors.refused(card_no, answer.reason)
                    uow.commit()
            continue
        if keep(core, answer, card_no, tap_seq):
            linked += 1
    return linked


def forget_expired(core: Any) -> int:
    """Forget residents of other stations no longer kept (kiosk.store.visitors); rebuild the
    file after a large purge, so their names leave it."""
    today = local_date(core.clock.now(), core.config.station.timezone)
    with core.uow() as uow:
        forgotten = purge(uow.db, today, core.config.roster.visitor_days)
        rebuild = needs_vacuum(uow.db, forgotten)
        if not forgotten and uow.db.execute("SELECT 1 FROM meta WHERE key = ?",
                                            (VACUUM_FLAG,)).fetchone():
            uow.db.execute("DELETE FROM meta WHERE key = ?", (VACUUM_FLAG,))
        uow.commit()
    if forgotten:
        with core.writer.lock:
            compact(core.db, rebuild)
        log.info("forgot %d residents of other stations%s", forgotten,
                 " (database file rebuilt)" if rebuild else "")
    return forgotten


def after_pull(core: Any, link: Any, county_key: Any) -> None:
    """After each roster pull: offline check-ins linked now that the county answers, and
    residents of other stations no longer kept forgotten."""
    link_waiting(core, link, county_key)
    forget_expired(core)
