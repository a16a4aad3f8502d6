"""The county's side of a station's sealed backup (`kiosk-county open-backup`): opened with
the county key in memory, and sealed again for the station's successor key
(kiosk.protocol.sealed); the database is never written in the clear."""

from __future__ import annotations

import sqlite3

from kiosk.errors import ProtocolError
from kiosk.keys import StationKey
from kiosk.protocol.sealed import RESTORE_LABEL, bundle, open_sealed, seal_to_ed25519
from kiosk.store.database import connect_copy


def open_backup(blob: bytes, county_key: StationKey) -> bytes:
    """The database inside a station's backup."""
    return open_sealed(blob, county_key.x25519())


def backup_station_id(database: bytes) -> str:
    """The station a backup belongs to: its first event's station id."""
    conn = connect_copy(":memory:")
    try:
        conn.deserialize(database)
        row = conn.execute("SELECT station_id FROM events WHERE seq = 1").fetchone()
    except sqlite3.DatabaseError as exc:
        raise ProtocolError(f"the backup is not a station database ({exc})") from None
    finally:
        conn.close()
    if row is None:
        raise ProtocolError("the backup holds no events")
    return str(row[0])


def seal_for_successor(database: bytes, succession: dict, head: dict, successor_hex: str,
                       station_id: str) -> bytes:
    return seal_to_ed25519(bundle(database, succession, head), successor_hex,
                           f"{RESTORE_LABEL}{station_id}")
