"""Applying the county's roster feed to the station's database: other stations' residents,
cards, revocations, plans and visits, their public keys, and the feed cursor. The sync
worker calls it inside one unit of work per page (sync/roster_pull.py)."""

from __future__ import annotations

import logging
from typing import Any

from sqlite_utils import Database

from kiosk.protocol.roster import CardFact, refusal, serves
from kiosk.store.search_keys import index_resident

CURSOR_KEY = "roster_cursor"
log = logging.getLogger(__name__)


def cursor(db: Database) -> str:
    """The roster feed's cursor: per-station positions ("station:seq,..."; kiosk.protocol.roster),
    "" before the first pull, or digits alone: a version-1 cursor kept before the upgrade,
    which the county converts on the next pull."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", (CURSOR_KEY,)).fetchone()
    return str(row[0]) if row else ""


class SqliteRoster:
    def __init__(self, db: Database):
        self.db = db

    def cursor(self) -> str:
        return cursor(self.db)

    def apply_page(self, page: dict[str, Any], own_station_id: str, plans: Any
                   ) -> tuple[list[str], list[dict[str, Any]]]:
        """Apply a verified page's stations, entries and cursor; return the stations whose
        public key was new or changed, and the entries the roster rules refused."""
        db = self.db
        known = dict(db.execute("SELECT station_id, public_key FROM remote_stations").fetchall())
        new_keys = {sid: key for sid, key in page["stations"].items()
                    if sid != own_station_id and known.get(sid) != key}
        for station_id, public_key in new_keys.items():
            db.execute("INSERT INTO remote_stations (station_id, public_key) VALUES (?, ?) "
                       "ON CONFLICT(station_id) DO UPDATE SET public_key = excluded.public_key, "
                       "revoked_at = NULL", (station_id, public_key))  # a new key: enrolled anew
        for station_id, keys in page.get("former", {}).items():
            if station_id != own_station_id:  # its keys before a successor: old cards still count
                db.conn.executemany("INSERT OR IGNORE INTO remote_former_keys VALUES (?, ?)",
                                    [(station_id, key) for key in keys])
        for station_id, revoked_at in page.get("revoked", {}).items():
            if station_id != own_station_id and db.execute(
                    "UPDATE remote_stations SET revoked_at = ? WHERE station_id = ? AND "
                    "revoked_at IS NULL", (revoked_at, station_id)).rowcount:
                log.warning("roster: station %s was revoked at %s; its newer cards are refused",
                            station_id, revoked_at)
                new_keys[station_id] = "revoked"
        facts, refused = StationFacts(db, own_station_id), []
        for entry in page["entries"]:
            station, data = entry["station_id"], entry["data"]
            found = refusal(station, entry["type"], data, facts)
            if found is not None:
                log.warning("roster: %s seq %s %s refused: %s", station, entry["seq"],
                            entry["type"], found.reason)
                refused.append({"station_id": station, "seq": entry["seq"],
                                "type": entry["type"], "reason": found.reason})
                continue
            APPLY[entry["type"]](db, data, f"station:{station}", page["county_time"], plans)
            if (resident_id := serves(entry["type"], data)) is not None:
                db.execute("INSERT OR IGNORE INTO roster_served VALUES (?, ?, 0)",
                           (resident_id, station))
        db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                   "value = excluded.value", (CURSOR_KEY, str(page["next"])))
        return sorted(new_keys), refused


class StationFacts:
    """The roster rules' view of this station's database (kiosk.protocol.roster.refusal):
    its own residents and cards, and what the roster brought from the others."""

    def __init__(self, db: Database, own_station_id: str):
        self.db, self.own = db, own_station_id

    def card(self, card_no: str) -> CardFact | None:
        row = self.db.execute("SELECT issued_by, holder_id, role FROM issued_cards "
                              "WHERE card_no = ?", (card_no,)).fetchone()
        if row is None:
            return None
        issuer = row[0][len("station:"):] if row[0].startswith("station:") else self.own
        return CardFact(issuer, row[1], row[2])

    def home(self, resident_id: str) -> str | None:
        row = self.db.execute("SELECT station_id FROM roster_served WHERE resident_id = ? AND "
                              "home = 1", (resident_id,)).fetchone()
        if row is not None:
            return row[0]
        mine = self.db.execute("SELECT 1 FROM residents WHERE id = ?", (resident_id,)).fetchone()
        return self.own if mine else None

    def served(self, resident_id: str, station_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM roster_served WHERE resident_id = ? AND "
                               "station_id = ?", (resident_id, station_id)).fetchone() is not None


def _resident(db, d, by, at, plans):
    added = db.execute("INSERT OR IGNORE INTO residents (id, name, birth_date, village, "
                       "consent_version, consent_at, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (d["id"], d["name"], d.get("birth_date"), d.get("village"),
                        d.get("consent_version"), d.get("consent_at"), d.get("registered_at")))
    if added.rowcount:  # new here: her search keys, as registration makes them
        index_resident(db, d["id"], d["name"])
    if by.startswith("station:"):  # another station's resident (not one replayed by a restore)
        db.execute("INSERT INTO roster_served VALUES (?, ?, 1) ON CONFLICT DO UPDATE SET home = 1",
                   (d["id"], by[len("station:"):]))


def _corrected(db, d, by, at, plans):
    for field, value in d["changes"].items():
        if field in ("name", "birth_date", "village"):
            db.execute(f"UPDATE residents SET {field} = ? WHERE id = ?", (value, d["resident_id"]))
            if field == "name":
                index_resident(db, d["resident_id"], value)


def _consent(db, d, by, at, plans):
    db.execute("UPDATE residents SET consent_version = ?, consent_at = ? WHERE id = ?",
               (d.get("version"), at if d.get("version") else None, d["resident_id"]))


def _card(db, d, by, at, plans):
    """Another station's card: no UID hash is kept (its signed record binds the UID), and
    ``issued_by`` names the station whose key must have signed the record. (A restore replays
    the station's own cards here too, with their role and technician: kiosk.store.rebuild.)"""
    db.execute("INSERT OR IGNORE INTO issued_cards (card_no, role, holder_id, uid_hash, kind, "
               "issued_at, issued_by) VALUES (?, ?, ?, '', ?, ?, ?)",
               (d["card_no"], d.get("role", "resident"), d["holder_id"], d["kind"], at, by))


def _revoked(db, d, by, at, plans):
    db.execute("UPDATE issued_cards SET status = 'revoked' WHERE card_no = ?", (d["card_no"],))


def _enrolled(db, d, by, at, plans):
    spec = plans.get(d["plan"])
    titles = {i.code: i.title for i in spec.items} if spec else {}
    db.execute("INSERT OR IGNORE INTO enrolments VALUES (?, ?, ?, 'enrolled', '{}', ?, ?)",
               (d["enrolment_id"], d["resident_id"], d["plan"], at, by))
    for item in d["items"]:
        db.execute("INSERT OR IGNORE INTO care_plan_items (id, resident_id, plan, title, earliest, "
                   "due, latest, enrolment_id, code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (item["id"], d["resident_id"], d["plan"], titles.get(item["code"], d["plan"]),
                    item["earliest"], item["due"], item["latest"], d["enrolment_id"],
                    item["code"]))


def _declined(db, d, by, at, plans):
    db.execute("UPDATE care_plan_items SET declined_on = COALESCE(declined_on, ?) WHERE id = ?",
               (at[:10], d["item_id"]))


def _visit(db, d, by, at, plans):
    db.execute("INSERT OR IGNORE INTO visits (id, item_id, resident_id, visit_date, outcome, note, "
               "next_appointment, logged_by, logged_at, corrects) VALUES (?, ?, ?, ?, ?, '', ?, "
               "?, ?, ?)", (d["id"], d["item_id"], d["resident_id"], d["visit_date"],
                            d["outcome"], d.get("next_appointment"), by, at, d.get("corrects")))
    db.execute("UPDATE care_plan_items SET done_on = ? WHERE id = ?", (d["visit_date"], d["item_id"]))
    if d.get("next_item_id") and d.get("next_appointment"):
        db.execute("UPDATE care_plan_items SET appointment = ? WHERE id = ?",
                   (d["next_appointment"], d["next_item_id"]))


APPLY = {"resident.registered": _resident, "resident.corrected": _corrected,
         "consent.given": _consent, "consent.withdrawn": _consent, "card.issued": _card,
         "card.revoked": _revoked, "care.enrolled": _enrolled, "care_item.declined": _declined,
         "visit.logged": _visit, "visit.corrected": _visit}


def remote_revoked_at(db):
    """For the card desk: when the county revoked another station (epoch seconds), if it did."""
    import datetime as dt

    def revoked_at(station_id: str) -> float | None:
        row = db.execute("SELECT revoked_at FROM remote_stations WHERE station_id = ?",
                         (station_id,)).fetchone()
        if not row or not row[0]:
            return None
        return dt.datetime.fromisoformat(row[0].replace("Z", "+00:00")).timestamp()
    return revoked_at


def remote_key_lookup(db):
    """For the card verifier: another station's public key hex, learned from the roster."""
    def lookup(station_id: str) -> str | None:
        row = db.execute("SELECT public_key FROM remote_stations WHERE station_id = ?",
                         (station_id,)).fetchone()
        return row[0] if row else None
    return lookup



def remote_former_keys(db):
    """For the card verifier: another station's keys before its successor (hex)."""
    def lookup(station_id: str) -> list[str]:
        return [r[0] for r in db.execute("SELECT public_key FROM remote_former_keys WHERE "
                                         "station_id = ?", (station_id,))]
    return lookup
