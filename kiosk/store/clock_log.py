"""What the station's clock learns from the log at start (kiosk.adapters.station_clock).

The newest event says the earliest the time can be; the ``station.clock_set`` events of the
running boot say what a technician or the county set, so a restarted station (same boot)
keeps the time it was given even where the system clock could not be set.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlite_utils import Database


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def newest_stamp(db: Database) -> tuple[dt.datetime, str, int] | None:
    """(wall time, boot id, monotonic ns) of the log's newest event (by seq)."""
    row = db.execute("SELECT wall_time, boot_id, mono_ns FROM events "
                     "ORDER BY seq DESC LIMIT 1").fetchone()
    return (_instant(row[0]), row[1], int(row[2])) if row else None


def clock_settings(db: Database, boot_id: str) -> list[tuple[str, dt.datetime, int]]:
    """(source, wall time, monotonic ns) of each ``station.clock_set`` of boot ``boot_id``,
    oldest first: the event was stamped with the time just set."""
    found = db.execute("SELECT payload, wall_time, mono_ns FROM events WHERE type = "
                       "'station.clock_set' AND boot_id = ? ORDER BY seq", (boot_id,)).fetchall()
    return [(json.loads(payload).get("source", ""), _instant(wall), int(mono))
            for payload, wall, mono in found]
