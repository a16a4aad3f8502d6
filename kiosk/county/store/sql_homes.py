"""The SQL of home stations (issue 24): where each resident lives, where her card was last seen
at each station, the index of the shared events about her, the cards' status, and the visitor
lookups. Mixed into SqlCountyStore (``HomeReads``) and SqlWriting (``HomeWrites``) in sql.py;
the projections in kiosk/county/projections/homes.py fill the read models."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kiosk.county.store.base import Connection
from kiosk.protocol.roster_rules import CardFact, Seen

REBUILD_KEY = "projection_rebuild:"
# A shared event about her that a lookup serves: not kept back (a revoked station's events
# after its last trusted seq are kept back for review; those before it still describe her).
SERVED = ("NOT EXISTS (SELECT 1 FROM roster_refused r WHERE r.station_id = e.station_id AND "
          "r.seq = e.seq)")


@dataclass(frozen=True)
class CardStatus:
    """A card as the county knows it from the pushes: who issued it (and at which seq of its
    chain), to whom, for what role, and whether a revocation the rules accepted ended it."""

    card_no: str
    issuer: str
    holder_id: str
    role: str
    revoked: bool
    issued_seq: int | None


def _placeholders(values: list[Any]) -> str:
    return ", ".join("?" * len(values))


def _forget(kept: dict[Any, Any], key: Any, text: Any) -> None:
    """A write changed ``key``'s row: forget it (all of them when its ``text`` part is not text:
    the database may have stored a number as the text a kept key names)."""
    if isinstance(text, str):
        kept.pop(key, None)
    else:
        kept.clear()


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    return [values[start:start + size] for start in range(0, len(values), size)]


class HomeReads:
    """Reads on the calling thread's connection (``self._read()``, from SqlCountyStore)."""

    def _read(self) -> Connection:
        raise NotImplementedError

    def homes_of(self, resident_ids: Iterable[str]) -> dict[str, str]:
        ids = sorted(set(resident_ids))
        found: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            found.update(self._read().execute(
                f"SELECT resident_id, station_id FROM resident_homes WHERE resident_id IN "
                f"({_placeholders(chunk)})", chunk).fetchall())
        return found

    def card_holders(self, card_nos: Iterable[str]) -> dict[str, tuple[str, str]]:
        """card number -> (issuing station, holder) for the cards named."""
        numbers = sorted(set(card_nos))
        found: dict[str, tuple[str, str]] = {}
        for start in range(0, len(numbers), 500):
            chunk = numbers[start:start + 500]
            for card_no, issuer, holder in self._read().execute(
                    f"SELECT card_no, station_id, holder_id FROM roster_cards WHERE card_no IN "
                    f"({_placeholders(chunk)})", chunk).fetchall():
                found[card_no] = (issuer, holder)
        return found

    def card_status(self, card_no: str) -> CardStatus | None:
        row = self._read().execute("SELECT card_no, station_id, holder_id, role, revoked, "
                                   "issued_seq FROM roster_cards WHERE card_no = ?",
                                   (card_no,)).fetchone()
        return CardStatus(row[0], row[1], row[2], row[3], bool(row[4]), row[5]) if row else None

    def home_of(self, resident_id: str) -> str | None:
        return self.homes_of([resident_id]).get(resident_id)

    def history(self, resident_id: str) -> list[tuple[str, int, str, dict[str, Any], str]]:
        """The shared events about her that the roster serves, in the order the county took
        them: (station, seq, type, payload, station time)."""
        rows = self._read().execute(
            "SELECT e.station_id, e.seq, e.type, e.payload, e.wall_time FROM resident_entries h "
            "JOIN events e ON e.station_id = h.station_id AND e.seq = h.seq "
            f"WHERE h.resident_id = ? AND {SERVED} "
            "ORDER BY h.received_at, h.station_id, h.seq", (resident_id,)).fetchall()
        return [(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows]

    def lookups_since(self, station_id: str, since: str) -> int:
        return self._read().execute("SELECT COUNT(*) FROM visitor_lookups WHERE station_id = ? "
                                    "AND at >= ?", (station_id, since)).fetchone()[0]

    def lookups(self, station_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        where, args = ("WHERE station_id = ?", [station_id]) if station_id else ("", [])
        rows = self._read().execute(
            "SELECT station_id, at, card_no, resident_id, tap_seq, outcome FROM visitor_lookups "
            f"{where} ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        keys = ("station_id", "at", "card_no", "resident_id", "tap_seq", "outcome")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def trusted_seqs(self) -> dict[str, int]:
        """Revoked stations and the last seq of theirs the county still trusts."""
        return dict(self._read().execute("SELECT station_id, trusted_seq FROM "
                                         "station_revocations").fetchall())

    def pending_rebuilds(self) -> list[str]:
        return [row[0][len(REBUILD_KEY):] for row in self._read().execute(
            "SELECT key FROM county_meta WHERE key LIKE ?", (REBUILD_KEY + "%",)).fetchall()]


class HomeWrites:
    """Writes inside one transaction (``self._conn``, from SqlWriting); also what the roster
    rules ask while a push is judged (kiosk.protocol.roster_rules.RosterFacts).

    The roster rules and the home stations' model ask the same few rows event after event, so
    one transaction remembers what it read and wrote (its writer holds the store: on
    PostgreSQL the events table lock, on SQLite the one writer thread, so nobody else changes
    these tables meanwhile): her home and presence (forgotten at each write to them), the
    time and kept-back mark of the events it stored itself (one query per stored batch, not
    one per event), and the index entries, written together at its end (``finish``). Only
    text keys are kept: a malformed payload's number or list is asked of the database each
    time, as it always was."""

    _conn: Connection

    def _start_homes(self) -> None:
        self._homes: dict[str, str | None] = {}
        self._seen: dict[tuple[str, str], Seen | None] = {}
        self._cards: dict[str, CardFact | None] = {}  # kiosk.county.store.sql: card()
        self._stored: dict[str, dict[int, str]] = {}  # station -> seq -> received_at
        self._refused: dict[str, set[int]] = {}  # of those seqs, the ones kept back
        self._entries: list[tuple[str, str, int, str]] = []

    def _stored_now(self, station_id: str, events: list[tuple[int, str]]) -> None:
        """Events this transaction stored (seq, received_at): their kept-back marks, read once."""
        if not events:
            return
        seqs = [seq for seq, _ in events]
        self._stored.setdefault(station_id, {}).update(events)
        self._refused.setdefault(station_id, set()).update(row[0] for row in self._conn.execute(
            "SELECT seq FROM roster_refused WHERE station_id = ? AND seq BETWEEN ? AND ?",
            (station_id, min(seqs), max(seqs))).fetchall())

    def _kept_back_now(self, station_id: str, seq: int) -> None:
        self._refused.setdefault(station_id, set()).add(seq)

    def finish(self) -> None:
        """Write what this transaction keeps for its end (before it commits)."""
        if self._entries:
            self._conn.executemany("INSERT INTO resident_entries VALUES (?, ?, ?, ?) ON CONFLICT "
                                   "DO NOTHING", self._entries)
            self._entries = []

    def recall(self, station_id: str, resident_ids: Iterable[str], card_nos: Iterable[str]
               ) -> None:
        """Read at once what a batch's rules will ask (kiosk.county.domain.roster.asked_about):
        these residents' homes and presence at the station, and these cards."""
        residents = set(resident_ids)
        ids = sorted(residents - self._homes.keys())
        for chunk in _chunks(ids):
            found = dict(self._conn.execute(
                "SELECT resident_id, station_id FROM resident_homes WHERE resident_id IN "
                f"({_placeholders(chunk)})", chunk).fetchall())
            self._homes.update((i, found.get(i)) for i in chunk)
        ids = sorted(i for i in residents if (i, station_id) not in self._seen)
        for chunk in _chunks(ids):
            seen = {r[0]: Seen(r[1], r[2]) for r in self._conn.execute(
                "SELECT resident_id, seq, at FROM resident_presence WHERE station_id = ? AND "
                f"resident_id IN ({_placeholders(chunk)})", [station_id, *chunk]).fetchall()}
            self._seen.update(((i, station_id), seen.get(i)) for i in chunk)
        numbers = sorted(set(card_nos) - self._cards.keys())
        for chunk in _chunks(numbers):
            cards = {r[0]: CardFact(r[1], r[2], r[3], bool(r[4])) for r in self._conn.execute(
                "SELECT card_no, station_id, holder_id, role, revoked FROM roster_cards WHERE "
                f"card_no IN ({_placeholders(chunk)})", chunk).fetchall()}
            self._cards.update((n, cards.get(n)) for n in chunk)

    def home(self, resident_id: str) -> str | None:
        if isinstance(resident_id, str) and resident_id in self._homes:
            return self._homes[resident_id]
        row = self._conn.execute("SELECT station_id FROM resident_homes WHERE resident_id = ?",
                                 (resident_id,)).fetchone()
        found = row[0] if row else None
        if isinstance(resident_id, str):
            self._homes[resident_id] = found
        return found

    def seen(self, resident_id: str, station_id: str) -> Seen | None:
        key = (resident_id, station_id)
        if isinstance(resident_id, str) and key in self._seen:
            return self._seen[key]
        row = self._conn.execute("SELECT seq, at FROM resident_presence WHERE resident_id = ? "
                                 "AND station_id = ?", key).fetchone()
        found = Seen(row[0], row[1]) if row else None
        if isinstance(resident_id, str):
            self._seen[key] = found
        return found

    def kept_back_seqs(self, station_id: str, first: int, last: int) -> set[int]:
        """The station's seqs from ``first`` to ``last`` that the roster keeps back."""
        stored = self._stored.get(station_id, {})
        if all(seq in stored for seq in range(first, last + 1)):
            return {seq for seq in self._refused.get(station_id, ()) if first <= seq <= last}
        return {row[0] for row in self._conn.execute(
            "SELECT seq FROM roster_refused WHERE station_id = ? AND seq BETWEEN ? AND ?",
            (station_id, first, last)).fetchall()}

    def received_at(self, station_id: str, first: int, last: int) -> dict[int, str]:
        stored = self._stored.get(station_id, {})
        if all(seq in stored for seq in range(first, last + 1)):
            return {seq: stored[seq] for seq in range(first, last + 1)}
        return dict(self._conn.execute(
            "SELECT seq, received_at FROM events WHERE station_id = ? AND seq BETWEEN ? AND ?",
            (station_id, first, last)).fetchall())

    def register_home(self, resident_id: str, station_id: str) -> None:
        """Her registration: her home, unless a move (stored earlier in a rebuild) says else."""
        self._conn.execute(
            "INSERT INTO resident_homes (resident_id, station_id, registered_by) VALUES (?, ?, ?) "
            "ON CONFLICT (resident_id) DO UPDATE SET registered_by = excluded.registered_by, "
            "station_id = CASE WHEN resident_homes.moved_order IS NULL THEN excluded.station_id "
            "ELSE resident_homes.station_id END", (resident_id, station_id, station_id))
        _forget(self._homes, resident_id, resident_id)

    def move_home(self, resident_id: str, to: str, order: str) -> None:
        """A move, if it is newer (``order``: when the county took it) than the last one."""
        self._conn.execute(
            "INSERT INTO resident_homes (resident_id, station_id, moved_order) VALUES (?, ?, ?) "
            "ON CONFLICT (resident_id) DO UPDATE SET station_id = excluded.station_id, "
            "moved_order = excluded.moved_order WHERE resident_homes.moved_order IS NULL "
            "OR resident_homes.moved_order < excluded.moved_order", (resident_id, to, order))
        _forget(self._homes, resident_id, resident_id)

    def see(self, resident_id: str, station_id: str, seen: Seen) -> None:
        self._conn.execute(
            "INSERT INTO resident_presence (resident_id, station_id, seq, at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (resident_id, station_id) DO UPDATE SET seq = excluded.seq, "
            "at = excluded.at WHERE resident_presence.seq < excluded.seq",
            (resident_id, station_id, seen.seq, seen.at))
        _forget(self._seen, (resident_id, station_id), resident_id)

    def index_entry(self, resident_id: str, station_id: str, seq: int, received_at: str) -> None:
        self._entries.append((resident_id, station_id, seq, received_at))  # written at finish

    def card_issued_at(self, card_no: str, station_id: str, seq: int) -> None:
        self._conn.execute("UPDATE roster_cards SET issued_seq = ? WHERE card_no = ? AND "
                           "station_id = ?", (seq, card_no, station_id))
        _forget(self._cards, card_no, card_no)

    def revoke_card(self, card_no: str) -> None:
        self._conn.execute("UPDATE roster_cards SET revoked = 1 WHERE card_no = ?", (card_no,))
        _forget(self._cards, card_no, card_no)

    def reset_homes(self) -> None:
        self._entries = []  # emptied below anyway
        self._homes.clear()
        self._seen.clear()
        self._cards.clear()
        for table in ("resident_homes", "resident_presence", "resident_entries"):
            self._conn.execute(f"DELETE FROM {table}")
        self._conn.execute("UPDATE roster_cards SET revoked = 0, issued_seq = NULL")

    def rebuilt(self, name: str) -> None:
        self._conn.execute("DELETE FROM county_meta WHERE key = ?", (REBUILD_KEY + name,))

    def record_lookup(self, station_id: str, at: str, card_no: str, resident_id: str | None,
                      tap_seq: int, outcome: str) -> None:
        self._conn.execute("INSERT INTO visitor_lookups (station_id, at, card_no, resident_id, "
                           "tap_seq, outcome) VALUES (?, ?, ?, ?, ?, ?)",
                           (station_id, at, card_no[:32], resident_id, tap_seq, outcome))

    def tap_used(self, station_id: str, tap_seq: int) -> bool:
        return self._conn.execute("SELECT 1 FROM visitor_lookups WHERE station_id = ? AND "
                                  "tap_seq = ? AND outcome = 'answered'",
                                  (station_id, tap_seq)).fetchone() is not None
