"""Applying the county's roster feed (and a visitor's record) to the station's database.

Since issue 24 the feed brings a station what other stations did for its own residents
(visits, cards, corrections, where her card was seen), the numbers of everyone else's revoked
cards, and the record of a resident who moved here; a lookup brings a visitor's record. Each
entry passes the roster rules (kiosk.protocol.roster_rules) on what this station knows, and
only entries about residents it holds are applied: nothing about another station's resident
is written here unless her record was asked for. The sync worker applies each page in one
unit of work (sync/roster_pull.py); kiosk.station.visitors applies a lookup's answer."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from kiosk.protocol.roster_rules import DEFAULT_PRESENCE_WINDOW_S, CardFact, Entry, Seen, presence, refusal, subject
from kiosk.store.roster_apply import APPLY

CURSOR_KEY = "roster_cursor"
WINDOW_KEY = "presence_window_s"
log = logging.getLogger(__name__)


def cursor(db: Database) -> str:
    """The roster feed's cursor: per-station positions ("station:seq,..."; kiosk.protocol.roster),
    "" before the first pull, or digits alone: a version-1 cursor kept before the upgrade,
    which the county converts on the next pull."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", (CURSOR_KEY,)).fetchone()
    return str(row[0]) if row else ""


@dataclass
class Applied:
    """What a page or a record did: the entries the rules refused, and the lookups of this
    station's residents at other stations (station, resident) that it now lists."""

    refused: list[dict[str, Any]] = field(default_factory=list)
    looked_up: list[list[str]] = field(default_factory=list)


class SqliteRoster:
    def __init__(self, db: Database):
        self.db = db

    def cursor(self) -> str:
        return cursor(self.db)

    def window(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (WINDOW_KEY,)).fetchone()
        return int(row[0]) if row else DEFAULT_PRESENCE_WINDOW_S

    def set_window(self, seconds: int) -> None:
        """The presence window the county announced (its page or a visitor's record)."""
        self._meta(WINDOW_KEY, seconds)

    def _meta(self, key: str, value: object) -> None:
        self.db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                        "value = excluded.value", (key, str(value)))

    def apply_page(self, page: dict[str, Any], own_station_id: str, plans: Any
                   ) -> tuple[list[str], Applied]:
        """Apply a verified page's stations, entries and cursor; return the stations whose
        public key was new or changed, and what the entries did."""
        db = self.db
        known = dict(db.execute("SELECT station_id, public_key FROM remote_stations").fetchall())
        new_keys = {sid: key for sid, key in page["stations"].items()
                    if sid != own_station_id and known.get(sid) != key}
        for station_id, public_key in new_keys.items():
            db.execute("INSERT INTO remote_stations (station_id, public_key) VALUES (?, ?) "
                       "ON CONFLICT(station_id) DO UPDATE SET public_key = excluded.public_key, "
                       "revoked_at = NULL, trusted_seq = NULL", (station_id, public_key))
        for station_id, keys in page.get("former", {}).items():
            if station_id != own_station_id:  # its keys before a successor: old cards still count
                db.conn.executemany("INSERT OR IGNORE INTO remote_former_keys VALUES (?, ?)",
                                    [(station_id, key) for key in keys])
        trusted = page.get("trusted_seq", {})
        for station_id, revoked_at in page.get("revoked", {}).items():
            if station_id != own_station_id and db.execute(
                    "UPDATE remote_stations SET revoked_at = ?, trusted_seq = ? WHERE "
                    "station_id = ? AND revoked_at IS NULL",
                    (revoked_at, trusted.get(station_id), station_id)).rowcount:
                log.warning("roster: station %s was revoked at %s; its newer cards are refused",
                            station_id, revoked_at)
                new_keys[station_id] = "revoked"
        if "presence_window_s" in page and int(page["presence_window_s"]) != self.window():
            self._meta(WINDOW_KEY, int(page["presence_window_s"]))
        applied = self.apply_entries(page["entries"], own_station_id, plans, page["county_time"])
        if page["next"] != self.cursor():
            self._meta(CURSOR_KEY, page["next"])
        return sorted(new_keys), applied

    def apply_entries(self, entries: list[dict[str, Any]], own_station_id: str, plans: Any,
                      county_time: str, admit: frozenset[str] = frozenset(),
                      applied: Applied | None = None) -> Applied:
        """Apply each entry the rules allow about a resident this station holds (or one of
        ``admit``, whose record this is); a revocation notice (its card number alone) about
        anyone."""
        db, facts = self.db, StationFacts(self.db, own_station_id)
        applied = applied if applied is not None else Applied()
        window = self.window()
        for raw in entries:
            type_, data = raw["type"], raw["data"]
            if type_ == "card.revoked" and (set(data) == {"card_no"}  # everyone refuses it
                                            or facts.card(data["card_no"]) is None):
                db.execute("INSERT OR IGNORE INTO revoked_cards VALUES (?)", (data["card_no"],))
                db.execute("UPDATE issued_cards SET status = 'revoked' WHERE card_no = ?",
                           (data["card_no"],))
                continue
            if type_ == "resident.moved" and data.get("to") == own_station_id and "record" in raw:
                self.apply_entries(raw["record"], own_station_id, plans, county_time,
                                   admit | {data["resident_id"]}, applied)
            entry = Entry(raw["station_id"], raw["seq"], type_, data, raw.get("at", ""))
            resident = _about(entry, facts)
            ours = resident is not None and (resident in admit or facts.held(resident))
            if not ours and not (type_ == "card.revoked" and resident is not None):
                continue  # not hers to hold here (a forgotten visitor, one who moved away)
            found = refusal(entry, facts, window)
            if found is not None:
                log.warning("roster: %s seq %s %s refused: %s", entry.station_id, entry.seq,
                            type_, found.reason)
                applied.refused.append({"station_id": entry.station_id, "seq": entry.seq,
                                        "type": type_, "reason": found.reason})
                continue
            self._apply(entry, str(resident), own_station_id, plans, county_time, applied)
            if (seen := presence(entry, facts)) is not None:
                db.execute("INSERT INTO presence VALUES (?, ?, ?, ?) ON CONFLICT (resident_id, "
                           "station_id) DO UPDATE SET "
                           "seq = excluded.seq, at = excluded.at WHERE presence.seq < excluded.seq",
                           (resident, entry.station_id, seen.seq, seen.at))
        return applied

    def _apply(self, entry: Entry, resident: str, own: str, plans: Any, county_time: str,
               applied: Applied) -> None:
        db, data, by = self.db, entry.data, f"station:{entry.station_id}"
        if entry.type in APPLY:
            APPLY[entry.type](db, data, by, county_time, plans)
            if entry.type == "card.issued":
                db.execute("UPDATE issued_cards SET roster_seq = ? WHERE card_no = ? AND "
                           "issued_by = ?", (entry.seq, data["card_no"], by))
        elif entry.type == "visitor.looked_up":  # listed in her record as any opening of it
            db.execute("INSERT INTO record_views (resident_id, technician_id, at, what) VALUES "
                       "(?, ?, ?, 'lookup')", (resident, by, entry.at or county_time))
            applied.looked_up.append([entry.station_id, resident])
        elif entry.type == "resident.moved":
            if data.get("to") == own:
                db.execute("DELETE FROM homes WHERE resident_id = ?", (resident,))
            else:
                db.execute("INSERT INTO homes VALUES (?, ?) ON CONFLICT(resident_id) DO UPDATE "
                           "SET station_id = excluded.station_id", (resident, data.get("to")))


def _about(entry: Entry, facts: StationFacts) -> str | None:
    if entry.type == "card.revoked":
        card = facts.card(entry.data["card_no"])
        return card.holder_id if card is not None else None
    return subject(entry.type, entry.data)


class StationFacts:
    """The roster rules' view of this station's database (kiosk.protocol.roster_rules): its
    own residents and cards, where the others it holds live, and where their cards were seen."""

    def __init__(self, db: Database, own_station_id: str):
        self.db, self.own = db, own_station_id

    def card(self, card_no: str) -> CardFact | None:
        row = self.db.execute("SELECT issued_by, holder_id, role, status FROM issued_cards "
                              "WHERE card_no = ?", (card_no,)).fetchone()
        if row is None:
            return None
        issuer = row[0][len("station:"):] if row[0].startswith("station:") else self.own
        return CardFact(issuer, row[1], row[2], row[3] == "revoked")

    def held(self, resident_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM residents WHERE id = ?",
                               (resident_id,)).fetchone() is not None

    def home(self, resident_id: str) -> str | None:
        row = self.db.execute("SELECT station_id FROM homes WHERE resident_id = ?",
                              (resident_id,)).fetchone()
        if row is not None:
            return row[0] or None  # '' : pulled before homes were known
        return self.own if self.held(resident_id) else None

    def seen(self, resident_id: str, station_id: str) -> Seen | None:
        row = self.db.execute("SELECT seq, at FROM presence WHERE resident_id = ? AND "
                              "station_id = ?", (resident_id, station_id)).fetchone()
        return Seen(row[0], row[1]) if row else None
