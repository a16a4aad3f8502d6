"""`kiosk restore`: a station rebuilt on a new SD card, from the county or from a backup.

The new card has its own key (kiosk keygen), which the county enrolled as the successor of
the old one (kiosk-county replace). The restore reads the old chain (from the county, or
from a backup the county resealed to the new key), checks every event's link, hash and
signature under the keys the chain names (kiosk.protocol.succession.ChainFollower) and that
it reaches the county's signed head, then writes a fresh database: the old events verbatim,
the tables replayed from them (kiosk.store.rebuild), the county's head as the last
acknowledgement, and a first event of the new key, ``station.restored``, naming the old head
and the succession. It writes beside the database and renames into place, so a failed
restore leaves nothing behind. It holds the database's writer lock throughout (one writer
per database): while the station runs it refuses with ``StationRunning``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

import kiosk
from kiosk.config.care_plans import load_plans
from kiosk.config.loader import Config
from kiosk.domain.disclosure import restore as with_secrets
from kiosk.domain.events import ChainHead, Event
from kiosk.domain.unit_of_work import Clock, EventFactory
from kiosk.errors import KioskError, ProtocolError
from kiosk.keys import StationKey
from kiosk.protocol.succession import RESTORED, ChainFollower
from kiosk.store.database import connect_readonly
from kiosk.store.rebuild import Rebuild, insert_events, insert_secrets, keep_ack_row, keep_successor_key
from kiosk.store.writer import Writer, lock_path, take_writer_lock

BATCH = 2000


class RestoreRefused(KioskError, RuntimeError):
    """The restore cannot go ahead (the message says why and what to do)."""


@dataclass
class RestoreReport:
    station_id: str
    source: str  # "county" or "backup"
    events: int = 0  # old events replayed
    head_seq: int = 0  # the county's signed head
    restored_seq: int = 0  # the new key's station.restored event
    withheld: int = 0  # old events the county keeps cut (linked, not verifiable alone)
    technicians: list[str] = field(default_factory=list)  # who must set a new PIN
    moved_aside: Path | None = None  # a fresh card's own empty log, kept


class Source:
    """Where the old chain comes from: its signed succession and head, then its events with
    any station-only values kept beside them (a backup; the county has none)."""

    name = ""
    succession: dict[str, Any]
    head: dict[str, Any]
    follower: ChainFollower  # checks each event as it is read

    def events(self) -> Iterator[tuple[Event, dict[str, Any] | None]]:
        raise NotImplementedError


def event_from(raw: Any) -> Event:
    try:
        return Event(**raw)
    except TypeError as exc:
        raise ProtocolError(f"not an event ({exc})") from None


def _fresh_log(database: Path, key: StationKey) -> bool:
    """Whether the database is absent (False) or only a new card's own first event (True:
    it is moved aside); anything more is refused, never overwritten."""
    if not database.exists():
        return False
    db = connect_readonly(database)  # a reader: only a writer checkpoints (the log moves whole)
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "events" not in tables:
            return False
        rows = db.execute("SELECT type, payload FROM events ORDER BY seq LIMIT 2").fetchall()
    finally:
        db.conn.close()
    if not rows:
        return False
    if len(rows) == 1 and rows[0][0] == "station.initialized" and \
            json.loads(rows[0][1]).get("public_key") == key.public_bytes().hex():
        return True
    raise RestoreRefused(f"{database} already holds this station's events; a restore writes a "
                         "new database only (stop the station and move the file aside first)")


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}{suffix}")


def _move_aside(database: Path, to: Path) -> None:
    """The fresh card's log, with its write-ahead log (a reader may not checkpoint it)."""
    if Path(f"{database}-wal").exists():
        os.replace(f"{database}-wal", f"{to}-wal")
    os.replace(database, to)
    _remove(database)


def restore(config: Config, key: StationKey, source: Source, clock: Clock) -> RestoreReport:
    """Rebuild the station database from ``source``, as its only writer meanwhile
    (``StationRunning`` while the station runs; nothing is written then)."""
    database = Path(config.station.database)
    lock = take_writer_lock(database)
    try:
        fresh = _fresh_log(database, key)
        work = database.with_name(database.name + ".restoring")
        _remove(work)
        try:
            report = _write(work, config, key, source, clock)
            if fresh:
                report.moved_aside = database.with_name(
                    f"{database.name}.fresh-{clock.now():%Y%m%dT%H%M%S}")
                _move_aside(database, report.moved_aside)
            else:
                _remove(database)  # no log of its own (an empty file): replaced whole
            os.replace(work, database)
            _remove(work)
            fd = os.open(database.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except BaseException:
            _remove(work)
            raise
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(lock_path(work))  # the work file's writer is closed; only we used it
    finally:
        lock.release()
    return report


def _check_succession(source: Source, config: Config, key: StationKey) -> None:
    succession, station_id = source.succession, config.station.id
    if succession.get("station_id") != station_id or source.head.get("station_id") != station_id:
        raise RestoreRefused(f"the county's answer is for another station, not {station_id}")
    if succession.get("public_key") != key.public_bytes().hex():
        raise RestoreRefused("the county's succession names another key than this card's "
                             f"({config.station.key_file}); run kiosk-county replace with it")


def _write(work: Path, config: Config, key: StationKey, source: Source,
           clock: Clock) -> RestoreReport:
    _check_succession(source, config, key)
    report = RestoreReport(config.station.id, source.name, head_seq=source.head["seq"])
    writer = Writer.open(work)  # the work file's one writer (migrated), nobody else's
    try:
        writer.db.execute("PRAGMA foreign_keys=OFF")  # her home station's rows come with the roster pull
        with writer.transaction() as db:
            _replay(db, report, config, key, source, clock)
        writer.db.execute("PRAGMA foreign_keys=ON")
        writer.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        writer.close()
    return report


def _replay(db: Database, report: RestoreReport, config: Config, key: StationKey,
            source: Source, clock: Clock) -> None:
    """The old events and the tables replayed from them, the county's head as the last
    acknowledgement, and the new key's ``station.restored``: one transaction."""
    rebuild = Rebuild(db, config.station.timezone, load_plans(config.care.plans_file))
    batch: list[Event] = []
    kept: list[tuple[int, dict[str, Any]]] = []
    last: Event | None = None
    for event, secrets in source.events():
        rebuild.apply(event, with_secrets(event.payload, secrets) if secrets else None)
        batch.append(event)
        if secrets:
            kept.append((event.seq, secrets))
        if len(batch) >= BATCH:
            insert_events(db, batch)
            batch.clear()
        last = event
    insert_events(db, batch)
    insert_secrets(db, kept)
    rebuild.finish()
    if last is None:
        raise RestoreRefused(f"there are no events of station {config.station.id} to restore")
    report.events, report.withheld = last.seq, source.follower.withheld
    now = clock.now().astimezone(dt.UTC).isoformat()
    if source.head["seq"]:
        keep_ack_row(db, source.head, now)
    event = EventFactory(config.station.id, key, clock).next(
        ChainHead(last.seq, last.hash), RESTORED, {
            "station_id": config.station.id, "public_key": key.public_bytes().hex(),
            "previous_key": source.succession["previous_key"],
            "after_seq": last.seq, "after_hash": last.hash,
            "acknowledged_seq": source.head["seq"], "succession": source.succession,
            "source": source.name, "software": f"kiosk {kiosk.__version__}"})
    insert_events(db, [event])
    keep_successor_key(db, event)
    report.restored_seq = event.seq
    report.technicians = [r[0] for r in db.execute(
        "SELECT id FROM technicians WHERE active = 1 ORDER BY id")]


class CountySource(Source):
    """The old chain as the county stores it, page by page over HTTPS (or loopback HTTP)."""

    name = "county"

    def __init__(self, link, station_id: str, key: StationKey, county_key):
        from kiosk.protocol.succession import verify_succession
        from kiosk.protocol.sync import verify_ack
        self.link, self.station_id, self.key, self.county_key = link, station_id, key, county_key
        self.first = link.restore_page(station_id, 0, key)
        self.succession = {**verify_succession(self.first.get("succession"), county_key),
                           "signature": self.first["succession"]["signature"]}
        self.head = {**verify_ack(self.first.get("head", {}), county_key),
                     "signature": self.first["head"]["signature"]}
        self.follower = ChainFollower(station_id, county_key)

    def events(self) -> Iterator[tuple[Event, dict[str, Any] | None]]:
        page, follower, head = self.first, self.follower, self.head
        while follower.seq < head["seq"]:
            events = [event_from(raw) for raw in page.get("events", [])]
            if not events:
                break
            for event in events:
                if event.seq > head["seq"]:
                    break
                follower.check(event)
                yield event, None
            if follower.seq < head["seq"]:
                page = self.link.restore_page(self.station_id, follower.seq, self.key)
        reached_head(follower, head, self.succession, follower.hash)


def reached_head(follower: ChainFollower, head: dict[str, Any], succession: dict[str, Any],
                 hash_at_head: str | None) -> None:
    """The chain read must end at (or, from a backup, pass through) the county's signed head,
    signed last by the key the succession replaces."""
    if head["seq"] and follower.seq >= head["seq"] and hash_at_head != head["hash"]:
        raise RestoreRefused(f"the chain holds another event at seq {head['seq']} than the "
                             "county signed (a fork)")
    if follower.seq < head["seq"]:
        raise RestoreRefused(f"the chain ends at seq {follower.seq}, before the county's signed "
                             f"head {head['seq']}" + (": restore from the county instead"
                                                      if follower.seq else ""))
    if follower.key_hex != succession["previous_key"]:
        raise RestoreRefused("the chain's last key is not the one the county's succession "
                             "replaces")
