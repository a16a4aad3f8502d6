"""`kiosk backup --to DIR` and the backup side of `kiosk restore --from-backup`.

A station offline for weeks keeps its newest events only on its SD card. `kiosk backup`
takes a consistent copy of the database through SQLite's backup API (in memory, never a
plain file) and seals it to the county's key (kiosk.protocol.sealed), so a USB stick with it
holds nothing anyone but the county can read. After the card died, the county opens it
(`kiosk-county open-backup`) and seals it again, with its signed succession and head, to the
new card's key; `kiosk restore --from-backup` then rebuilds the station as from the county,
with the events the county never received and their station-only values.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kiosk.domain.events import Event
from kiosk.keys import StationKey
from kiosk.ops.restore import RestoreRefused, Source, reached_head
from kiosk.protocol.sealed import BACKUP_LABEL, open_sealed, seal_to_ed25519, unbundle
from kiosk.protocol.succession import ChainFollower, verify_succession
from kiosk.protocol.sync import verify_ack
from kiosk.store.database import connect_copy, connect_readonly


def database_bytes(path: Path) -> bytes:
    """A consistent copy of a live database (SQLite's online backup API), as bytes."""
    source = connect_readonly(path).conn  # a reader: the station's writer may keep writing
    copy = connect_copy(":memory:")
    try:
        source.backup(copy)
        data = bytearray(copy.serialize())
        data[18:20] = b"\x01\x01"  # rollback-journal format: a WAL file cannot open in memory
        return bytes(data)
    finally:
        copy.close()
        source.close()


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def backup(database: Path, station_id: str, county_public_hex: str, to: Path,
           now: dt.datetime) -> Path:
    """Seal a copy of ``database`` to the county key into ``to``; return the file."""
    if not county_public_hex:
        raise RestoreRefused("county.public_key is not set: the backup is sealed to it")
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    sealed = seal_to_ed25519(database_bytes(database), county_public_hex,
                             f"{BACKUP_LABEL}{station_id}:{stamp}")
    to.mkdir(parents=True, exist_ok=True)
    target = to / f"kiosk-backup-{station_id}-{stamp}.sealed"
    _write_private(target, sealed)
    return target


def _deserialize(database: bytes) -> sqlite3.Connection:
    """A backup's database, opened in memory (never written in the clear)."""
    conn = connect_copy(":memory:")
    conn.deserialize(database)
    return conn


class BackupSource(Source):
    """The old chain from a backup the county resealed to this card's key: every event the
    station wrote up to the backup, with its station-only values."""

    name = "backup"

    def __init__(self, blob: bytes, key: StationKey, county_key):
        header, self.database = unbundle(open_sealed(blob, key.x25519()))
        self.succession = {**verify_succession(header["succession"], county_key),
                           "signature": header["succession"]["signature"]}
        self.head = {**verify_ack(header["head"], county_key),
                     "signature": header["head"]["signature"]}
        self.follower = ChainFollower(self.succession["station_id"], county_key)

    def events(self) -> Iterator[tuple[Event, dict[str, Any] | None]]:
        from sqlite_utils import Database

        from kiosk.store.sqlite import event_secrets, iter_events
        conn = _deserialize(self.database)
        try:
            db = Database(conn)
            secrets = dict(event_secrets(db))
            hash_at_head = None
            for event in iter_events(db, batch=5000):
                if event.type == "station.restored" and event.payload.get(
                        "public_key") == self.succession["public_key"]:
                    raise RestoreRefused("this backup was taken after the restore it is for")
                self.follower.check(event)
                if event.seq == self.head["seq"]:
                    hash_at_head = event.hash
                yield event, secrets.get(event.seq)
        finally:
            conn.close()
        reached_head(self.follower, self.head, self.succession, hash_at_head)
