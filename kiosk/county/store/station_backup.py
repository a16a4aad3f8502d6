"""Reading a station's database opened from its sealed backup (in memory, never on disk):
the county's only look inside a station file."""

from __future__ import annotations

import sqlite3

from kiosk.errors import ProtocolError
from kiosk.store.database import connect_copy


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
