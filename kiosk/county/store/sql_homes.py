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
from kiosk.protocol.roster_rules import Seen

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
    rules ask while a push is judged (kiosk.protocol.roster_rules.RosterFacts)."""

    _conn: Connection

    def home(self, resident_id: str) -> str | None:
        row = self._conn.execute("SELECT station_id FROM resident_homes WHERE resident_id = ?",
                                 (resident_id,)).fetchone()
        return row[0] if row else None

    def seen(self, resident_id: str, station_id: str) -> Seen | None:
        row = self._conn.execute("SELECT seq, at FROM resident_presence WHERE resident_id = ? "
                                 "AND station_id = ?", (resident_id, station_id)).fetchone()
        return Seen(row[0], row[1]) if row else None

    def kept_back(self, station_id: str, seq: int) -> bool:
        return self._conn.execute("SELECT 1 FROM roster_refused WHERE station_id = ? AND seq = ?",
                                  (station_id, seq)).fetchone() is not None

    def received_at(self, station_id: str, first: int, last: int) -> dict[int, str]:
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

    def move_home(self, resident_id: str, to: str, order: str) -> None:
        """A move, if it is newer (``order``: when the county took it) than the last one."""
        self._conn.execute(
            "INSERT INTO resident_homes (resident_id, station_id, moved_order) VALUES (?, ?, ?) "
            "ON CONFLICT (resident_id) DO UPDATE SET station_id = excluded.station_id, "
            "moved_order = excluded.moved_order WHERE resident_homes.moved_order IS NULL "
            "OR resident_homes.moved_order < excluded.moved_order", (resident_id, to, order))

    def see(self, resident_id: str, station_id: str, seen: Seen) -> None:
        self._conn.execute(
            "INSERT INTO resident_presence (resident_id, station_id, seq, at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (resident_id, station_id) DO UPDATE SET seq = excluded.seq, "
            "at = excluded.at WHERE resident_presence.seq < excluded.seq",
            (resident_id, station_id, seen.seq, seen.at))

    def index_entry(self, resident_id: str, station_id: str, seq: int, received_at: str) -> None:
        self._conn.execute("INSERT INTO resident_entries VALUES (?, ?, ?, ?) ON CONFLICT "
                           "DO NOTHING", (resident_id, station_id, seq, received_at))

    def card_issued_at(self, card_no: str, station_id: str, seq: int) -> None:
        self._conn.execute("UPDATE roster_cards SET issued_seq = ? WHERE card_no = ? AND "
                           "station_id = ?", (seq, card_no, station_id))

    def revoke_card(self, card_no: str) -> None:
        self._conn.execute("UPDATE roster_cards SET revoked = 1 WHERE card_no = ?", (card_no,))

    def reset_homes(self) -> None:
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
