"""The county's SQL, written once for SQLite and PostgreSQL ('?' placeholders; the
PostgreSQL backend turns them into '%s'). ``SqlCountyStore`` reads on the calling thread's
connection and hands writes to its backend's transaction as a ``SqlWriting``; no connection
leaves this module. The tables themselves are made by the versioned migrations
(kiosk/county/store/migrations/)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from kiosk.county.domain.stations import StationRecord
from kiosk.county.domain.successions import Succession
from kiosk.county.store.base import Backend, Connection
from kiosk.county.store.sql_homes import HomeReads, HomeWrites
from kiosk.county.store.sql_reports import ReportReads, ReportWrites
from kiosk.county.store.sql_users import UserReads, UserWrites
from kiosk.domain.events import ChainHead, Event, canonical_text
from kiosk.protocol.roster_rules import CardFact

T = TypeVar("T")
STATION_COLUMNS = ("id, public_key, status, enrolled_at, last_sync, clock_offset_s, "
                   "reported_head")
EVENT_COLUMNS = ("seq", "id", "v", "station_id", "type", "payload", "wall_time", "boot_id",
                 "mono_ns", "prev_hash", "hash", "signature")
SUCCESSION_COLUMNS = "public_key, previous_key, county_time, signature, taken_seq"
# A feed row: the event, and whether the roster rules or a revocation keep it back.
FEED_FROM = ("e.station_id, e.seq, e.type, e.payload, r.reason, v.revoked_at, e.wall_time "
             "FROM events e "
             "LEFT JOIN roster_refused r ON r.station_id = e.station_id AND r.seq = e.seq "
             "LEFT JOIN station_revocations v ON v.station_id = e.station_id")


def _event(row: tuple) -> Event:
    return Event(**{**dict(zip(EVENT_COLUMNS, row, strict=True)), "payload": json.loads(row[5])})


class SqlCountyStore(UserReads, HomeReads):
    """The county store over one backend (composition: the backend only connects)."""

    def __init__(self, backend: Backend):
        self.backend = backend

    def _read(self) -> Connection:
        return self.backend.reader()

    def write(self, fn: Callable[[SqlWriting], T]) -> T:
        """``fn(tx)`` in one transaction; its result (its exception rolls back)."""
        def run(conn: Connection) -> T:
            tx = SqlWriting(conn, self.backend.name)
            value = fn(tx)
            tx.finish()
            return value
        return self.backend.transaction(run)

    def close(self) -> None:
        self.backend.close()

    def reports(self) -> ReportReads:
        """The report read models, read on this thread's connection."""
        return ReportReads(self._read())

    def enroll(self, station_id: str, public_key: str, at: str) -> None:
        """Enrol a station's key in a transaction of its own (services.stations stamps ``at``)."""
        self.write(lambda tx: tx.enroll(station_id, public_key, at))

    # -- stations -----------------------------------------------------------------------
    def station(self, station_id: str) -> StationRecord | None:
        row = self._read().execute(f"SELECT {STATION_COLUMNS} FROM stations WHERE id = ?",
                                   (station_id,)).fetchone()
        return StationRecord(*row) if row else None

    def stations(self) -> list[StationRecord]:
        rows = self._read().execute(f"SELECT {STATION_COLUMNS} FROM stations ORDER BY id").fetchall()
        return [StationRecord(*row) for row in rows]

    def revocations(self) -> dict[str, str]:
        """Revoked stations and when: the roster page carries them to every station."""
        return dict(self._read().execute("SELECT station_id, revoked_at FROM "
                                         "station_revocations ORDER BY station_id").fetchall())

    def successions(self, station_id: str) -> list[Succession]:
        return _successions(self._read(), station_id)

    def former_key_rows(self) -> list[tuple[str, str]]:
        return [tuple(r) for r in self._read().execute(
            "SELECT station_id, previous_key FROM successions "
            "ORDER BY station_id, county_time").fetchall()]

    # -- events -------------------------------------------------------------------------
    def events(self, station_id: str, after: int = 0, limit: int = 1000) -> list[Event]:
        rows = self._read().execute(
            f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE station_id = ? AND seq > ? "
            "ORDER BY seq LIMIT ?", (station_id, after, limit)).fetchall()
        return [_event(r) for r in rows]

    def head_of(self, station_id: str) -> int:
        row = self._read().execute("SELECT MAX(seq) FROM events WHERE station_id = ?",
                                   (station_id,)).fetchone()
        return row[0] or 0

    def count(self, station_id: str | None = None) -> int:
        if station_id:
            return self._read().execute("SELECT COUNT(*) FROM events WHERE station_id = ?",
                                        (station_id,)).fetchone()[0]
        return self._read().execute("SELECT COUNT(*) FROM events").fetchone()[0]

    def forks(self, station_id: str) -> list[dict[str, Any]]:
        rows = self._read().execute("SELECT seq, event, received_at FROM forks WHERE "
                                    "station_id = ? ORDER BY id", (station_id,)).fetchall()
        return [{"seq": s, "event": json.loads(e), "received_at": r} for s, e, r in rows]

    def fork_count(self, station_id: str) -> int:
        return self._read().execute("SELECT COUNT(*) FROM forks WHERE station_id = ?",
                                    (station_id,)).fetchone()[0]

    def received_per_day(self, since: str) -> dict[str, int]:
        """Events received per UTC day (YYYY-MM-DD) from ``since`` (a date) on."""
        return dict(self._read().execute(
            "SELECT substr(received_at, 1, 10), COUNT(*) FROM events WHERE received_at >= ? "
            "GROUP BY 1", (since,)).fetchall())

    # -- following the events by station position ---------------------------------------
    def follow(self, positions: dict[str, int], limit: int, exclude: str | None = None
               ) -> tuple[list[tuple[str, int, str, dict[str, Any], str]], dict[str, int]]:
        """Up to ``limit`` events after each station's position (station id -> last seq
        seen), station by station, without those the roster keeps back, as (station, seq,
        type, payload, station time); and the positions
        after every event looked at. A station's events become visible in seq order (each
        batch is judged against the committed head), so a reader that resumes from these
        positions neither skips nor repeats one, however commits interleave."""
        conn, after, looked = self._read(), dict(positions), 0
        found: list[tuple[str, int, str, dict[str, Any], str]] = []
        ids = [r[0] for r in conn.execute("SELECT id FROM stations ORDER BY id").fetchall()]
        for station_id in ids:
            if station_id == exclude:
                continue
            rows = conn.execute(f"SELECT {FEED_FROM} WHERE e.station_id = ? AND e.seq > ? "
                                "ORDER BY e.seq LIMIT ?",
                                (station_id, after.get(station_id, 0), limit - looked)).fetchall()
            if rows:
                after[station_id] = rows[-1][1]
            looked += len(rows)
            found.extend((r[0], r[1], r[2], json.loads(r[3]), r[6]) for r in rows
                         if r[4] is None and r[5] is None)
            if looked >= limit:
                break
        return found, after

    def legacy_positions(self, cursor: int) -> dict[str, int]:
        """The positions a version-1 roster cursor (a global row number) stood for."""
        column = self.backend.legacy_order
        return dict(self._read().execute(
            f"SELECT station_id, MAX(seq) FROM events WHERE {column} <= ? GROUP BY station_id",
            (cursor,)).fetchall())

    def legacy_feed(self, exclude: str, after: int, limit: int
                    ) -> tuple[list[tuple[int, str, int, str, dict[str, Any], str]], int]:
        """The version-1 feed for stations not yet upgraded: (row number, station, seq, type,
        payload, station time) after a global row number. Correct only while writers serialise (the
        PostgreSQL backend locks the events table per write); new stations follow()."""
        column = self.backend.legacy_order
        rows = self._read().execute(
            f"SELECT e.{column}, {FEED_FROM} WHERE e.{column} > ? ORDER BY e.{column} LIMIT ?",
            (after, limit)).fetchall()
        last = rows[-1][0] if rows else after
        return ([(r[0], r[1], r[2], r[3], json.loads(r[4]), r[7]) for r in rows
                 if r[1] != exclude and r[5] is None and r[6] is None], last)


def _successions(conn: Connection, station_id: str) -> list[Succession]:
    return [Succession(*row) for row in conn.execute(
        f"SELECT {SUCCESSION_COLUMNS} FROM successions WHERE station_id = ? "
        "ORDER BY county_time", (station_id,)).fetchall()]


class SqlWriting(UserWrites, ReportWrites, HomeWrites):
    """One write transaction: the chain, stations, successions, the roster's memory and the
    read models (the service reports', the home stations')."""

    def __init__(self, conn: Connection, dialect: str = "sqlite"):
        self._conn, self.dialect = conn, dialect
        self._start_homes()

    # -- the chain ----------------------------------------------------------------------
    def head(self, station_id: str) -> ChainHead:
        row = self._conn.execute("SELECT seq, hash FROM events WHERE station_id = ? "
                                "ORDER BY seq DESC LIMIT 1", (station_id,)).fetchone()
        return ChainHead(row[0], row[1]) if row else ChainHead()

    def events(self, station_id: str, after: int, limit: int) -> list[Event]:
        """Stored events after ``after`` in seq order, as this transaction sees them."""
        rows = self._conn.execute(
            f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE station_id = ? AND seq > ? "
            "ORDER BY seq LIMIT ?", (station_id, after, limit)).fetchall()
        return [_event(r) for r in rows]

    def hash_at(self, station_id: str, seq: int) -> str | None:
        row = self._conn.execute("SELECT hash FROM events WHERE station_id = ? AND seq = ?",
                                (station_id, seq)).fetchone()
        return row[0] if row else None

    def insert(self, station_id: str, events: list[Event], received_at: str) -> None:
        """Store events the intake judged sound (their payloads passed canonical_json)."""
        self._conn.executemany(
            f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}, received_at) "
            f"VALUES ({', '.join('?' * (len(EVENT_COLUMNS) + 1))})",
            [(e.seq, e.id, e.v, e.station_id, e.type, canonical_text(e.payload),
              e.wall_time, e.boot_id, e.mono_ns, e.prev_hash, e.hash, e.signature, received_at)
             for e in events])
        self._stored_now(station_id, [(e.seq, received_at) for e in events])

    def keep_fork(self, station_id: str, event: Event, received_at: str) -> None:
        self._conn.execute("INSERT INTO forks (station_id, seq, event, received_at) "
                          "VALUES (?, ?, ?, ?)",
                          (station_id, event.seq, json.dumps(vars(event), ensure_ascii=False),
                           received_at))

    def synced(self, station_id: str, at: str, clock_offset_s: float | None,
               reported_head: int | None = None) -> None:
        self._conn.execute("UPDATE stations SET last_sync = ?, clock_offset_s = ?, "
                          "reported_head = COALESCE(?, reported_head) WHERE id = ?",
                          (at, clock_offset_s, reported_head, station_id))

    def seqs_after(self, station_id: str, seq: int) -> list[tuple[int, str]]:
        return [tuple(r) for r in self._conn.execute(
            "SELECT seq, type FROM events WHERE station_id = ? AND seq > ? ORDER BY seq",
            (station_id, seq)).fetchall()]

    # -- stations and successions -------------------------------------------------------
    def station(self, station_id: str) -> StationRecord | None:
        row = self._conn.execute(f"SELECT {STATION_COLUMNS} FROM stations WHERE id = ?",
                                (station_id,)).fetchone()
        return StationRecord(*row) if row else None

    def enroll(self, station_id: str, public_key: str, at: str) -> None:
        self._conn.execute("INSERT INTO stations (id, public_key, enrolled_at) VALUES (?, ?, ?) "
                          "ON CONFLICT(id) DO UPDATE SET public_key = excluded.public_key, "
                          "status = 'enrolled'", (station_id, public_key, at))
        # enrolled again (a new key): its new entries are served; those kept back stay so
        self._conn.execute("DELETE FROM station_revocations WHERE station_id = ?", (station_id,))

    def revoke(self, station_id: str, at: str, trusted_seq: int) -> None:
        self._conn.execute("UPDATE stations SET status = 'revoked' WHERE id = ?", (station_id,))
        self._conn.execute("INSERT INTO station_revocations VALUES (?, ?, ?) ON CONFLICT "
                          "(station_id) DO UPDATE SET revoked_at = excluded.revoked_at, "
                          "trusted_seq = excluded.trusted_seq", (station_id, at, trusted_seq))

    def set_key(self, station_id: str, public_key: str) -> None:
        self._conn.execute("UPDATE stations SET public_key = ? WHERE id = ?",
                          (public_key, station_id))

    def successions(self, station_id: str) -> list[Succession]:
        return _successions(self._conn, station_id)

    def add_succession(self, station_id: str, s: Succession) -> None:
        self._conn.execute(f"INSERT INTO successions (station_id, {SUCCESSION_COLUMNS}) "
                          "VALUES (?, ?, ?, ?, ?, ?)", (station_id, s.public_key, s.previous_key,
                                                        s.county_time, s.signature, s.taken_seq))

    def drop_pending_successions(self, station_id: str) -> None:
        self._conn.execute("DELETE FROM successions WHERE station_id = ? AND taken_seq IS NULL",
                          (station_id,))

    def take_succession(self, station_id: str, public_key: str, seq: int) -> None:
        self._conn.execute("UPDATE successions SET taken_seq = ? WHERE station_id = ? AND "
                          "public_key = ? AND taken_seq IS NULL", (seq, station_id, public_key))

    # -- what the roster rules know (kiosk.county.domain.roster.RosterMemory) -------------
    def card(self, card_no: str) -> CardFact | None:
        if isinstance(card_no, str) and card_no in self._cards:  # this transaction's (HomeWrites)
            return self._cards[card_no]
        row = self._conn.execute("SELECT station_id, holder_id, role, revoked FROM roster_cards "
                                "WHERE card_no = ?", (card_no,)).fetchone()
        found = CardFact(row[0], row[1], row[2], bool(row[3])) if row else None
        if isinstance(card_no, str):
            self._cards[card_no] = found
        return found

    def learn_card(self, card_no: str, station_id: str, holder_id: str, role: str) -> None:
        self._conn.execute("INSERT INTO roster_cards (card_no, station_id, holder_id, role) "
                          "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                          (card_no, station_id, holder_id, role))
        if isinstance(card_no, str):
            self._cards.pop(card_no, None)
        else:  # a number the database may keep as the text of a card remembered (HomeWrites)
            self._cards.clear()

    def keep_back(self, station_id: str, seq: int, type_: str, reason: str, at: str) -> None:
        """The roster will not serve this event (a rule refused it, or its station was revoked)."""
        self._conn.execute("INSERT INTO roster_refused VALUES (?, ?, ?, ?, ?) ON CONFLICT "
                          "DO NOTHING", (station_id, seq, type_, reason, at))
        self._kept_back_now(station_id, seq)
