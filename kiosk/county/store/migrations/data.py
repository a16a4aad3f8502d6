"""Data migrations both dialects run (the SQL is the same; only unlocking the append-only
events table differs)."""

from __future__ import annotations

import json
from collections.abc import Callable

from kiosk.county.store.base import Connection
from kiosk.domain.disclosure import STATION_ONLY, cut
from kiosk.domain.events import canonical_json

CUT_DONE = "station_only_cut_v1"  # the marker of databases cut before versions existed


def cut_station_only(unlock: tuple[str, ...], relock: tuple[str, ...]
                     ) -> Callable[[Connection], int]:
    """Events stored before stations withheld their station-only fields (staff notes,
    phones, ...) keep them cut (kiosk.domain.disclosure.cut). They were verified on arrival;
    their hash still links the chain, so later batches check as before. ``unlock`` and
    ``relock`` lift the append-only trigger for this one rewrite."""
    def run(conn: Connection) -> int:
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
            conn.executemany("UPDATE events SET payload = ? WHERE station_id = ? AND seq = ?",
                             changed)
            for statement in relock:
                conn.execute(statement)
        conn.execute("INSERT INTO county_meta (key, value) VALUES (?, ?)",
                     (CUT_DONE, str(len(changed))))
        return len(changed)
    return run
