"""Reading a station's database opened from its sealed backup (in memory, never on disk):
the county's only look inside a station file, and only once kiosk.store.untrusted has checked
that it is exactly a station database (a stranger can seal any file to the county's key)."""

from __future__ import annotations

from kiosk.errors import ProtocolError
from kiosk.store.untrusted import open_station_copy


def backup_station_id(database: bytes) -> str:
    """The station a backup belongs to: its first event's station id."""
    conn = open_station_copy(database)
    try:
        row = conn.execute("SELECT station_id FROM events WHERE seq = 1").fetchone()
    finally:
        conn.close()
    if row is None or not isinstance(row[0], str):
        raise ProtocolError("the backup holds no events")
    return row[0]
