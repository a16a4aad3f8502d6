"""Rebuilding a station's tables from its own signed events (kiosk restore).

The events are replayed through the projections the station already has: the roster's
(kiosk.store.roster.APPLY: residents, corrections, consent, cards, revocations, plans,
declined items, visits), given this station's own technician and time instead of
``station:<id>`` and the county's time, and the day's queue (kiosk.domain.queue.DayQueue).
What only a station's own events say (check-ins, technicians and their lockouts, declined
plans, record views, successor keys) is applied here. Values that never leave the station
(docs/events.md, "county keeps") are empty after a restore from the county; a backup brings
them back (``payload`` then holds them). PINs never come back: technicians set new ones.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Any

from sqlite_utils import Database

from kiosk.domain.events import Event, canonical_json
from kiosk.domain.model import local_date
from kiosk.domain.queue import DayQueue, event_instant, replay_event
from kiosk.domain.staff import MAX_FAILURES
from kiosk.domain.visitors import LINKED, placeholder_id
from kiosk.keys import public_key_from_hex
from kiosk.protocol.succession import RESTORED
from kiosk.store.database import first_event
from kiosk.store.queue import SqliteQueueEntries
from kiosk.store.roster_apply import APPLY, remote_former_keys

CLOCK_SET = "station.clock_set"


def successor_keys(db: Database) -> list[tuple[int, str]]:
    """(from seq, public key hex) of each key that took over the chain, oldest first."""
    return [(int(seq), key) for seq, key in db.execute(
        "SELECT from_seq, public_key FROM station_keys ORDER BY from_seq")]


def former_keys(db: Database) -> list[str]:
    """The keys this station had before a restore handed its chain to the current one: card
    records they signed stay valid here (revoked cards stay revoked)."""
    row = first_event(db)
    if row is None:
        return []
    keys = [json.loads(row[0]).get("public_key")] + [k for _, k in successor_keys(db)]
    return [k for k in keys[:-1] if k]


def former_issuer_keys(db: Database, own_id: str):
    """For the card verifier: a station's keys before its successor, as public keys (this
    station's own from its chain, the others' from the roster)."""
    own = [public_key_from_hex(h) for h in former_keys(db)]
    remote = remote_former_keys(db)

    def former(station_id: str) -> list:
        return own if station_id == own_id else [public_key_from_hex(h) for h in remote(station_id)]
    return former


def keep_successor_key(db: Database, event: Event) -> None:
    db.execute("INSERT OR IGNORE INTO station_keys (public_key, from_seq, succession) "
               "VALUES (?, ?, ?)", (event.payload["public_key"], event.seq,
                                    canonical_json(event.payload["succession"]).decode()))


def _plain(value: Any) -> bool:
    """A value as the station wrote it, not a commitment or a cut marker."""
    return not isinstance(value, dict)


class Rebuild:
    """Applies one station's events in seq order to an empty, migrated database (inside the
    caller's transaction); ``finish`` writes the queue entries the replay built."""

    def __init__(self, db: Database, timezone: str, plans: Any):
        self.db, self.timezone, self.plans = db, timezone, plans
        self.days: dict[str, DayQueue] = {}

    def apply(self, event: Event, payload: dict[str, Any] | None = None) -> None:
        """``payload``: the event's payload with its station-only values back in place, when
        they are known (a backup); the event's own payload otherwise."""
        d = event.payload if payload is None else payload
        type_, at = event.type, event_instant(event)
        if type_ in APPLY:
            by = d.get("logged_by") if type_.startswith("visit.") else d.get("by")
            when = d.get("logged_at", at) if type_.startswith("visit.") else at
            if type_ == "care_item.declined":  # her local day, as the station wrote it
                when = self._local_day(at)
            APPLY[type_](self.db, d, by or "", when, self.plans)
            self._station_only(type_, d)
        elif type_ == "checkin.created" or type_.startswith("queue.") or type_ == CLOCK_SET:
            if type_ == "checkin.created":
                flagged = bool(d.get("time_unconfirmed"))
                resident = d["resident_id"] or placeholder_id(d.get("card_no") or "")
                if not d["resident_id"]:  # a visitor checked in offline, by her card number
                    self.db.execute("INSERT OR IGNORE INTO residents (id, name) VALUES (?, '')",
                                    (resident,))
                self.db.execute("INSERT INTO checkins (id, resident_id, station_id, local_date, "
                                "queue_no, checked_in_at, time_unconfirmed, boot_id, mono_ns) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                (d["checkin_id"], resident, event.station_id,
                                 d["local_date"], d["queue_no"], at, int(flagged),
                                 event.boot_id if flagged else None,
                                 event.mono_ns if flagged else None))
            elif type_ == CLOCK_SET:  # check-ins dated once the clock was set
                self.db.conn.executemany(
                    "UPDATE checkins SET local_date = ?, queue_no = ?, checked_in_at = ?, "
                    "time_unconfirmed = 0 WHERE id = ?",
                    [(c["local_date"], c["queue_no"], c["checked_in_at"], c["checkin_id"])
                     for c in d.get("checkins", [])])
            replay_event(self.days, event if payload is None else replace(event, payload=d), 0)
        elif type_ in STAFF:
            STAFF[type_](self.db, d, at)
        elif type_ == "care.declined":
            self.db.execute("INSERT INTO enrolments VALUES (?, ?, ?, 'declined', '{}', ?, ?)",
                            (d.get("enrolment_id") or f"enr-{event.id[:12]}", d["resident_id"],
                             d["plan"], at, d.get("by", "")))
        elif type_ == "record.viewed" and d.get("technician_id"):  # staff views only
            self.db.execute("INSERT INTO record_views (resident_id, technician_id, at, what) "
                            "VALUES (?, ?, ?, ?)", (d["resident_id"], d["technician_id"], at,
                                                    d.get("what", "record")))
        elif type_ == RESTORED:
            keep_successor_key(self.db, event)
        elif type_ == LINKED:  # an offline visitor's check-in, linked to her record later
            self.db.execute("UPDATE checkins SET resident_id = ? WHERE id = ?",
                            (d["resident_id"], d["checkin_id"]))
        elif type_ == "resident.moved":  # this station moved her: to it, or away from it
            if d.get("to") == event.station_id:
                self.db.execute("DELETE FROM homes WHERE resident_id = ?", (d["resident_id"],))
            else:
                self.db.execute("INSERT OR REPLACE INTO homes VALUES (?, ?)",
                                (d["resident_id"], d.get("to")))

    def _local_day(self, at: str) -> str:
        return local_date(dt.datetime.fromisoformat(at), self.timezone).isoformat()

    def _station_only(self, type_: str, d: dict[str, Any]) -> None:
        """The station-only values a backup kept (a restore from the county has none)."""
        db = self.db
        if type_ == "resident.registered":
            for column in ("phone", "national_id_hash"):
                if _plain(d.get(column)):
                    db.execute(f"UPDATE residents SET {column} = ? WHERE id = ?",
                               (d.get(column), d["id"]))
        elif type_ == "resident.corrected" and "phone" in d["changes"] and _plain(d["changes"]["phone"]):
            db.execute("UPDATE residents SET phone = ? WHERE id = ?",
                       (d["changes"]["phone"], d["resident_id"]))
        elif type_ == "card.issued" and isinstance(d.get("uid_hash"), str):
            db.execute("UPDATE issued_cards SET uid_hash = ? WHERE card_no = ?",
                       (d["uid_hash"], d["card_no"]))
        elif type_ == "care.enrolled" and isinstance(d.get("anchors"), dict) and all(
                isinstance(v, str) for v in d["anchors"].values()):
            db.execute("UPDATE enrolments SET anchors = ? WHERE id = ?",
                       (json.dumps(d["anchors"]), d["enrolment_id"]))
        elif type_.startswith("visit.") and isinstance(d.get("note"), str):
            db.execute("UPDATE visits SET note = ? WHERE id = ?", (d["note"], d["id"]))

    def finish(self) -> None:
        entries = SqliteQueueEntries(self.db)
        for day in self.days.values():
            for entry in day.entries.values():
                entries.add(entry)
        self.days.clear()


def _technician_added(db: Database, d: dict[str, Any], at: str) -> None:
    """Her name is station-only: after a restore from the county the id stands in for it.
    The PIN never leaves the station: an empty hash matches no PIN until set-pin."""
    name = d.get("name") if isinstance(d.get("name"), str) else d["technician_id"]
    db.execute("INSERT INTO technicians (id, name, pin_hash, pin_salt) VALUES (?, ?, '', '')",
               (d["technician_id"], name))


def _pin_failed(db: Database, d: dict[str, Any], at: str) -> None:
    """As StaffService.check_pin left it after a wrong PIN."""
    tripped = d["failures"] >= MAX_FAILURES
    db.execute("UPDATE technicians SET failed_pins = ?, locked_until = ?, lockouts = ?, "
               "blocked_at = ? WHERE id = ?",
               (0 if tripped else d["failures"], d.get("locked_until"), d["lockouts"],
                at if d.get("blocked") else None, d["technician_id"]))


def _logged_in(db: Database, d: dict[str, Any], at: str) -> None:
    """A good PIN: no failures or lockouts left."""
    db.execute("UPDATE technicians SET failed_pins = 0, locked_until = NULL, lockouts = 0 "
               "WHERE id = ?", (d["technician_id"],))


def _unblocked(db: Database, d: dict[str, Any], at: str) -> None:
    db.execute("UPDATE technicians SET failed_pins = 0, locked_until = NULL, lockouts = 0, "
               "blocked_at = NULL WHERE id = ?", (d["technician_id"],))


STAFF = {
    "technician.added": _technician_added,
    "technician.deactivated": lambda db, d, at: db.execute(
        "UPDATE technicians SET active = 0 WHERE id = ?", (d["technician_id"],)),
    "staff.pin_failed": _pin_failed,
    "staff.login": _logged_in,
    "technician.unblocked": _unblocked,
}


def insert_events(db: Database, events: list[Event]) -> None:
    """Events exactly as they were signed (a restore copies the old chain verbatim)."""
    from kiosk.store.sqlite import INSERT_EVENT
    db.conn.executemany(
        INSERT_EVENT,
        [(e.seq, e.id, e.v, e.station_id, e.type, canonical_json(e.payload).decode(), e.wall_time,
          e.boot_id, e.mono_ns, e.prev_hash, e.hash, e.signature) for e in events])


def insert_secrets(db: Database, kept: list[tuple[int, dict[str, Any]]]) -> None:
    db.conn.executemany("INSERT INTO event_secrets (seq, fields) VALUES (?, ?)",
                        [(seq, canonical_json(fields).decode()) for seq, fields in kept])


def keep_ack_row(db: Database, ack: dict[str, Any], received_at: str) -> None:
    """The county's signed head, inside the restore's transaction: the sync worker pushes
    from the event after it."""
    db.execute("INSERT INTO sync_acks (seq, hash, county_time, signature, received_at) "
               "VALUES (?, ?, ?, ?, ?)", (ack["seq"], ack["hash"], ack["county_time"],
                                          ack["signature"], received_at))
