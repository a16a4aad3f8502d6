"""The county's storage: enrolled stations, their events, forks kept aside.

``CountyStore`` is the repository interface; ``SqliteCountyStore`` the embedded
backend (one SQLite file, WAL). Every write goes to one writer thread
(kiosk.store.writer.WriteThread, as Datasette's write thread): a batch is judged
and stored there inside one BEGIN IMMEDIATE transaction, one after another, so two
copies of the same request can never both be stored and no second connection ever
writes or checkpoints the file. Each HTTP worker thread reads through its own
read-only connection.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from kiosk.county.successions import SUCCESSION_SCHEMA
from kiosk.domain.disclosure import STATION_ONLY, cut
from kiosk.domain.events import ChainHead, Event, canonical_json
from kiosk.protocol.roster import CardFact
from kiosk.store.database import open_connection
from kiosk.store.writer import WriteThread

T = TypeVar("T")

NO_UPDATE_TRIGGER = ("CREATE TRIGGER IF NOT EXISTS county_events_no_update BEFORE UPDATE ON events "
                     "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END")
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS stations (
    id TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'enrolled',
    enrolled_at TEXT NOT NULL,
    last_sync TEXT,
    clock_offset_s REAL,
    reported_head INTEGER
);
CREATE TABLE IF NOT EXISTS events (
    station_id TEXT NOT NULL REFERENCES stations(id),
    seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    v INTEGER NOT NULL,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    wall_time TEXT NOT NULL,
    boot_id TEXT NOT NULL,
    mono_ns INTEGER NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    signature TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (station_id, seq)
);
CREATE TABLE IF NOT EXISTS forks (
    id INTEGER PRIMARY KEY,
    station_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS county_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
{NO_UPDATE_TRIGGER};
CREATE TRIGGER IF NOT EXISTS county_events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
"""
# What the roster rules know (kiosk/county/roster_guard.py), learned as pushes arrive, and
# the entries they keep back; the same SQL on SQLite and PostgreSQL.
ROSTER_SCHEMA = """
CREATE TABLE IF NOT EXISTS roster_cards (
    card_no TEXT PRIMARY KEY,
    station_id TEXT NOT NULL,
    holder_id TEXT NOT NULL,
    role TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS roster_served (
    resident_id TEXT NOT NULL,
    station_id TEXT NOT NULL,
    home INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (resident_id, station_id)
);
CREATE TABLE IF NOT EXISTS station_revocations (
    station_id TEXT PRIMARY KEY,
    revoked_at TEXT NOT NULL,
    trusted_seq BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS roster_refused (
    station_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    type TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (station_id, seq)
);
"""
STATION_COLUMNS = ("id, public_key, status, enrolled_at, last_sync, clock_offset_s, "
                   "reported_head")
EVENT_COLUMNS = ("seq", "id", "v", "station_id", "type", "payload", "wall_time", "boot_id",
                 "mono_ns", "prev_hash", "hash", "signature")


@dataclass(frozen=True)
class StationRecord:
    id: str
    public_key: str
    status: str
    enrolled_at: str
    last_sync: str | None = None
    clock_offset_s: float | None = None
    reported_head: int | None = None  # the station's own highest seq, as it last said


class Writing(Protocol):
    conn: Any  # the transaction's connection (kiosk/county/successions.py runs its SQL on it)

    def head(self, station_id: str) -> ChainHead: ...
    def hash_at(self, station_id: str, seq: int) -> str | None: ...
    def insert(self, station_id: str, events: list[Event], received_at: str) -> None: ...
    def keep_fork(self, station_id: str, event: Event, received_at: str) -> None: ...
    def synced(self, station_id: str, at: str, clock_offset_s: float | None,
               reported_head: int | None = None) -> None: ...


class CountyStore(Protocol):
    def station(self, station_id: str) -> StationRecord | None: ...
    def stations(self) -> list[StationRecord]: ...
    def enroll(self, station_id: str, public_key: str, at: str) -> None: ...
    def revoke(self, station_id: str, at: str | None = None,
               trusted_seq: int | None = None) -> list[int]: ...
    def revocations(self) -> dict[str, str]: ...
    def write(self, fn: Callable[[Any], T]) -> T: ...
    def events(self, station_id: str, after: int = 0, limit: int = 1000) -> list[Event]: ...
    def forks(self, station_id: str) -> list[dict]: ...


class Connection(Protocol):
    """What the stores need of a DB-API connection: sqlite3's, or psycopg's behind '?'."""

    def execute(self, sql: str, params: Any = ..., /) -> Any: ...
    def executemany(self, sql: str, rows: Any, /) -> Any: ...


def _open_writer(path: str) -> sqlite3.Connection:
    """The county file's one writing connection, made on its writer thread, schema included."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = open_connection(path, "writer", check_same_thread=True)
    conn.isolation_level = None
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA secure_delete=ON")  # the cut values are overwritten
    conn.executescript(SCHEMA + ROSTER_SCHEMA + SUCCESSION_SCHEMA)
    return conn


class SqliteCountyStore:
    def __init__(self, path: str | Path):
        self.path = str(path)
        self._local = threading.local()
        self._writer = WriteThread(lambda: _open_writer(self.path), self.path, "county-writer")
        changed = self.write(lambda tx: cut_stored(
            tx.conn, unlock=("DROP TRIGGER county_events_no_update",), relock=(NO_UPDATE_TRIGGER,)))
        if changed:  # and the old pages leave the write-ahead log (only the writer checkpoints)
            self._writer.submit(lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)"),
                                transaction=False)

    def write(self, fn: Callable[[_SqliteWriting], T]) -> T:
        """``fn(tx)`` in one transaction on the writer thread; its result."""
        return self._writer.submit(lambda conn: fn(_SqliteWriting(conn)))

    def _conn(self) -> Connection:
        """This thread's own read-only connection (opened on first use)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = open_connection(self.path, "readonly", check_same_thread=True)
            conn.isolation_level = None
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        self._writer.close()

    # -- stations ---------------------------------------------------------------
    def station(self, station_id: str) -> StationRecord | None:
        row = self._conn().execute(f"SELECT {STATION_COLUMNS} FROM stations WHERE id = ?",
                                   (station_id,)).fetchone()
        return StationRecord(*row) if row else None

    def stations(self) -> list[StationRecord]:
        rows = self._conn().execute(f"SELECT {STATION_COLUMNS} FROM stations ORDER BY id").fetchall()
        return [StationRecord(*row) for row in rows]

    def enroll(self, station_id: str, public_key: str, at: str) -> None:
        def enroll(tx: _SqliteWriting) -> None:
            tx.conn.execute("INSERT INTO stations (id, public_key, enrolled_at) VALUES (?, ?, ?) "
                            "ON CONFLICT(id) DO UPDATE SET public_key = excluded.public_key, "
                            "status = 'enrolled'", (station_id, public_key, at))
            # enrolled again (a new key): its new entries are served; those kept back stay so
            tx.conn.execute("DELETE FROM station_revocations WHERE station_id = ?", (station_id,))
        self.write(enroll)

    def revoke(self, station_id: str, at: str | None = None,
               trusted_seq: int | None = None) -> list[int]:
        """Revoke a station at ``at`` (default now): its pushes are refused, the roster serves
        none of its entries from now on, and those after ``trusted_seq`` (its last trusted
        acknowledgement; default: everything it pushed is trusted) are flagged for review.
        Returns the flagged sequences."""
        import datetime as dt
        at = at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

        def revoke(tx: _SqliteWriting) -> list[tuple[int, str]]:
            head = tx.head(station_id).seq
            trusted = head if trusted_seq is None else min(trusted_seq, head)
            tx.conn.execute("UPDATE stations SET status = 'revoked' WHERE id = ?", (station_id,))
            tx.conn.execute("INSERT INTO station_revocations VALUES (?, ?, ?) ON CONFLICT "
                            "(station_id) DO UPDATE SET revoked_at = excluded.revoked_at, "
                            "trusted_seq = excluded.trusted_seq", (station_id, at, trusted))
            flagged = tx.conn.execute("SELECT seq, type FROM events WHERE station_id = ? AND "
                                      "seq > ? ORDER BY seq", (station_id, trusted)).fetchall()
            for seq, type_ in flagged:
                tx.keep_back(station_id, seq, type_, "station revoked: after its last trusted "
                             "acknowledgement, for review", at)
            return flagged
        return [seq for seq, _type in self.write(revoke)]

    def revocations(self) -> dict[str, str]:
        """Revoked stations and when: the roster page carries them to every station."""
        return dict(self._conn().execute("SELECT station_id, revoked_at FROM "
                                         "station_revocations ORDER BY station_id").fetchall())

    # -- events -------------------------------------------------------------------
    def events(self, station_id: str, after: int = 0, limit: int = 1000) -> list[Event]:
        rows = self._conn().execute(
            f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE station_id = ? AND seq > ? "
            "ORDER BY seq LIMIT ?", (station_id, after, limit)).fetchall()
        return [Event(**{**dict(zip(EVENT_COLUMNS, r, strict=False)), "payload": json.loads(r[5])}) for r in rows]

    def forks(self, station_id: str) -> list[dict]:
        rows = self._conn().execute("SELECT seq, event, received_at FROM forks WHERE station_id = ? "
                                    "ORDER BY id", (station_id,)).fetchall()
        return [{"seq": s, "event": json.loads(e), "received_at": r} for s, e, r in rows]

    def feed(self, exclude_station: str, after: int, limit: int) -> tuple[list[tuple], int]:
        """(rowid, station, seq, type, payload) of other stations' events after a cursor, and
        the last rowid looked at (the next cursor, even if nothing in the page is shared)."""
        rows = self._conn().execute(
            f"SELECT e.rowid, {FEED_COLUMNS} WHERE e.rowid > ? ORDER BY e.rowid LIMIT ?",
            (after, limit)).fetchall()
        return feed_rows(rows, exclude_station, after)

    def per_day(self, days: int = 30) -> list[tuple[str, int]]:
        """Events received per UTC day, the last ``days`` days, oldest first."""
        import datetime as dt
        today = dt.datetime.now(dt.UTC).date()
        start = today - dt.timedelta(days=days - 1)
        counts = dict(self._conn().execute(
            "SELECT substr(received_at, 1, 10), COUNT(*) FROM events WHERE received_at >= ? "
            "GROUP BY 1", (start.isoformat(),)).fetchall())
        return [((start + dt.timedelta(days=n)).isoformat(),
                 counts.get((start + dt.timedelta(days=n)).isoformat(), 0)) for n in range(days)]

    def head_of(self, station_id: str) -> int:
        row = self._conn().execute("SELECT MAX(seq) FROM events WHERE station_id = ?",
                                   (station_id,)).fetchone()
        return row[0] or 0

    def fork_count(self, station_id: str) -> int:
        return self._conn().execute("SELECT COUNT(*) FROM forks WHERE station_id = ?",
                                    (station_id,)).fetchone()[0]

    def count(self, station_id: str | None = None) -> int:
        if station_id:
            return self._conn().execute("SELECT COUNT(*) FROM events WHERE station_id = ?",
                                        (station_id,)).fetchone()[0]
        return self._conn().execute("SELECT COUNT(*) FROM events").fetchone()[0]


CUT_DONE = "station_only_cut_v1"


def cut_stored(conn: Connection, unlock: tuple[str, ...], relock: tuple[str, ...]) -> int:
    """Migration, once per database: events stored before stations withheld their station-only
    fields (staff notes, phones, ...) keep them cut (kiosk.domain.disclosure.cut). They were
    verified on arrival; their hash still links the chain, so later batches check as before.
    ``unlock`` / ``relock`` lift the append-only trigger for this one rewrite."""
    if conn.execute("SELECT value FROM county_meta WHERE key = ?", (CUT_DONE,)).fetchone():
        return 0
    types = sorted(STATION_ONLY)
    rows = conn.execute(f"SELECT station_id, seq, type, payload FROM events WHERE type IN "
                        f"({', '.join('?' * len(types))})", types).fetchall()
    changed = []
    for station_id, seq, type_, payload in rows:
        kept = canonical_json(cut(type_, json.loads(payload))).decode()
        if kept != payload:
            changed.append((kept, station_id, seq))
    if changed:
        for statement in unlock:
            conn.execute(statement)
        conn.executemany("UPDATE events SET payload = ? WHERE station_id = ? AND seq = ?", changed)
        for statement in relock:
            conn.execute(statement)
    conn.execute("INSERT INTO county_meta (key, value) VALUES (?, ?)", (CUT_DONE, str(len(changed))))
    return len(changed)


FEED_COLUMNS = ("e.station_id, e.seq, e.type, e.payload, r.reason, v.revoked_at FROM events e "
                "LEFT JOIN roster_refused r ON r.station_id = e.station_id AND r.seq = e.seq "
                "LEFT JOIN station_revocations v ON v.station_id = e.station_id")


def feed_rows(rows: list, exclude_station: str, after: int) -> tuple[list[tuple], int]:
    """The feed's (cursor, station, seq, type, payload) rows, without the exclude_station's
    own, those the roster rules kept back and a revoked station's, and the next cursor."""
    last = rows[-1][0] if rows else after
    return ([(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows
             if r[1] != exclude_station and r[5] is None and r[6] is None], last)


class _SqliteWriting:
    def __init__(self, conn: Connection):
        self.conn = conn

    def head(self, station_id: str) -> ChainHead:
        row = self.conn.execute("SELECT seq, hash FROM events WHERE station_id = ? "
                                "ORDER BY seq DESC LIMIT 1", (station_id,)).fetchone()
        return ChainHead(row[0], row[1]) if row else ChainHead()

    def hash_at(self, station_id: str, seq: int) -> str | None:
        row = self.conn.execute("SELECT hash FROM events WHERE station_id = ? AND seq = ?",
                                (station_id, seq)).fetchone()
        return row[0] if row else None

    def insert(self, station_id: str, events: list[Event], received_at: str) -> None:
        self.conn.executemany(
            f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}, received_at) "
            f"VALUES ({', '.join('?' * (len(EVENT_COLUMNS) + 1))})",
            [(e.seq, e.id, e.v, e.station_id, e.type, canonical_json(e.payload).decode(),
              e.wall_time, e.boot_id, e.mono_ns, e.prev_hash, e.hash, e.signature, received_at)
             for e in events])

    def keep_fork(self, station_id: str, event: Event, received_at: str) -> None:
        self.conn.execute("INSERT INTO forks (station_id, seq, event, received_at) "
                          "VALUES (?, ?, ?, ?)",
                          (station_id, event.seq, json.dumps(vars(event), ensure_ascii=False),
                           received_at))

    # -- what the roster rules know (kiosk.protocol.roster.RosterFacts) -------------
    def card(self, card_no: str) -> CardFact | None:
        row = self.conn.execute("SELECT station_id, holder_id, role FROM roster_cards "
                                "WHERE card_no = ?", (card_no,)).fetchone()
        return CardFact(*row) if row else None

    def home(self, resident_id: str) -> str | None:
        row = self.conn.execute("SELECT station_id FROM roster_served WHERE resident_id = ? "
                                "AND home = 1", (resident_id,)).fetchone()
        return row[0] if row else None

    def served(self, resident_id: str, station_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM roster_served WHERE resident_id = ? AND "
                                 "station_id = ?", (resident_id, station_id)).fetchone() is not None

    def learn_card(self, card_no: str, station_id: str, holder_id: str, role: str) -> None:
        self.conn.execute("INSERT INTO roster_cards VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                          (card_no, station_id, holder_id, role))

    def learn_served(self, resident_id: str, station_id: str, home: bool) -> None:
        on_conflict = "DO UPDATE SET home = 1" if home else "DO NOTHING"
        self.conn.execute("INSERT INTO roster_served VALUES (?, ?, ?) ON CONFLICT "
                          f"(resident_id, station_id) {on_conflict}",
                          (resident_id, station_id, int(home)))

    def keep_back(self, station_id: str, seq: int, type_: str, reason: str, at: str) -> None:
        """The roster will not serve this event (a rule refused it, or its station was revoked)."""
        self.conn.execute("INSERT INTO roster_refused VALUES (?, ?, ?, ?, ?) ON CONFLICT "
                          "DO NOTHING", (station_id, seq, type_, reason, at))

    def synced(self, station_id: str, at: str, clock_offset_s: float | None,
               reported_head: int | None = None) -> None:
        self.conn.execute("UPDATE stations SET last_sync = ?, clock_offset_s = ?, "
                          "reported_head = COALESCE(?, reported_head) WHERE id = ?",
                          (at, clock_offset_s, reported_head, station_id))
