"""`kiosk backup --to DIR` and the backup side of `kiosk restore --from-backup`.

A station offline for weeks keeps its newest events only on its SD card. `kiosk backup`
takes a consistent copy of the database through SQLite's backup API (in memory, never a
plain file) and seals it to the county's key (kiosk.protocol.sealed), so a USB stick with it
holds nothing anyone but the county can read. After the card died, the county opens it
(`kiosk-county open-backup`) and seals it again, with its signed succession and head, to the
new card's key; `kiosk restore --from-backup` then rebuilds the station as from the county,
with the events the county never received and their station-only values.

The sealed file shows nothing of its station in the clear (issue 23, N14): neither its name
nor its header names the station; only the county, opening it, learns which one it is. What
the new card opens is checked as the county checks a backup (kiosk.protocol.sealed's bound on
inflating, kiosk.store.untrusted's schema check) before its events are read.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kiosk.domain.events import Event
from kiosk.keys import StationKey
from kiosk.ops.restore import RestoreRefused, Source, reached_head
from kiosk.protocol.sealed import BACKUP_LABEL, RESTORE_LABEL, open_sealed, seal_to_ed25519, unbundle
from kiosk.protocol.succession import ChainFollower, verify_succession
from kiosk.protocol.sync import verify_ack
from kiosk.store.database import connect_copy, connect_readonly
from kiosk.store.untrusted import open_station_copy


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


def backup(database: Path, county_public_hex: str, to: Path, now: dt.datetime) -> Path:
    """Seal a copy of ``database`` to the county key into ``to``; return the file (named by
    its time only)."""
    if not county_public_hex:
        raise RestoreRefused("county.public_key is not set: the backup is sealed to it")
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    sealed = seal_to_ed25519(database_bytes(database), county_public_hex, BACKUP_LABEL)
    to.mkdir(parents=True, exist_ok=True)
    target = to / f"kiosk-backup-{stamp}.sealed"
    _write_private(target, sealed)
    return target


class BackupSource(Source):
    """The old chain from a backup the county resealed to this card's key: every event the
    station wrote up to the backup, with its station-only values."""

    name = "backup"

    def __init__(self, blob: bytes, key: StationKey, county_key, max_bytes: int | None = None):
        header, self.database = unbundle(open_sealed(blob, key.x25519(), RESTORE_LABEL,
                                                     max_bytes))
        self.succession = {**verify_succession(header.get("succession"), county_key),
                           "signature": header["succession"]["signature"]}
        self.head = {**verify_ack(header.get("head") or {}, county_key),
                     "signature": header["head"]["signature"]}
        self.follower = ChainFollower(self.succession["station_id"], county_key)

    def events(self) -> Iterator[tuple[Event, dict[str, Any] | None]]:
        from sqlite_utils import Database

        from kiosk.store.sqlite import event_secrets, iter_events
        conn = open_station_copy(self.database)  # a schema of its own is refused here
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
