"""Key successions at the county: `kiosk-county replace` enrols a new key as the successor
of a station's key and signs the succession (kiosk.protocol.succession). The same SQL runs
on SQLite and PostgreSQL; the stores create the table with the others.

A succession is *pending* until the station's ``station.restored`` event, signed by the new
key, is stored: then ``taken_seq`` says from which seq the new key signs. While it is pending
the new key may pull the old chain (GET .../restore) and the old key's pushes still count;
once taken, only the new key extends the chain.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kiosk.domain.events import Event, Signer
from kiosk.errors import KioskError
from kiosk.protocol.succession import RESTORED, KeySchedule, sign_succession, succession_body

SUCCESSION_SCHEMA = """
CREATE TABLE IF NOT EXISTS successions (
    station_id TEXT NOT NULL,
    public_key TEXT NOT NULL,
    previous_key TEXT NOT NULL,
    county_time TEXT NOT NULL,
    signature TEXT NOT NULL,
    taken_seq BIGINT,
    PRIMARY KEY (station_id, public_key)
);
"""
COLUMNS = "public_key, previous_key, county_time, signature, taken_seq"


class SuccessionRefused(KioskError, ValueError):
    """The county cannot enrol this key as a successor (the message says why)."""


def _rows(conn, station_id: str) -> list[tuple]:
    return conn.execute(f"SELECT {COLUMNS} FROM successions WHERE station_id = ? "
                        "ORDER BY county_time", (station_id,)).fetchall()


def key_schedule(conn, station_id: str, enrolled_key: str) -> KeySchedule:
    """The keys of a station's chain: the first enrolled one, each taken successor from its
    ``station.restored`` seq, and the pending successor, if any."""
    rows = _rows(conn, station_id)
    if not rows:
        return KeySchedule(enrolled_key)
    switches = [(row[4], row[0]) for row in rows if row[4] is not None]
    pending = next((row[0] for row in rows if row[4] is None), None)
    return KeySchedule(rows[0][1], switches, pending)


def pending(conn, station_id: str, public_key: str) -> dict[str, Any] | None:
    """The signed succession that enrolled ``public_key`` and is not taken yet, if any."""
    for key, previous, county_time, signature, taken in _rows(conn, station_id):
        if key == public_key and taken is None:
            return {**succession_body(station_id, previous, key, county_time),
                    "signature": signature}
    return None


def replace_key(store, station_id: str, public_key: str, county_key: Signer,
                at: str | None = None) -> dict[str, Any]:
    """Enrol ``public_key`` as the successor of the station's chain key and sign it; an
    earlier pending successor (a new card that died too before its restore) is dropped."""
    at = at or dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")

    def replace(tx) -> dict[str, Any]:  # on the county's writer thread, in one transaction
        row = tx.conn.execute("SELECT public_key, status FROM stations WHERE id = ?",
                              (station_id,)).fetchone()
        if row is None:
            raise SuccessionRefused(f"no station {station_id!r} (enrol it first)")
        if row[1] != "enrolled":
            raise SuccessionRefused(f"station {station_id!r} is {row[1]}: enrol it again instead")
        previous = key_schedule(tx.conn, station_id, row[0]).current
        if public_key == previous or any(r[0] == public_key for r in _rows(tx.conn, station_id)):
            raise SuccessionRefused("this key already signed for the station: a successor "
                                    "needs a new key (kiosk keygen on the new card)")
        tx.conn.execute("DELETE FROM successions WHERE station_id = ? AND taken_seq IS NULL",
                        (station_id,))
        signed = sign_succession(succession_body(station_id, previous, public_key, at), county_key)
        tx.conn.execute(f"INSERT INTO successions (station_id, {COLUMNS}) VALUES (?, ?, ?, ?, ?, "
                        "NULL)", (station_id, public_key, previous, at, signed["signature"]))
        tx.conn.execute("UPDATE stations SET public_key = ? WHERE id = ?", (public_key, station_id))
        return signed
    return store.write(replace)


def take(conn, station_id: str, stored: list[Event]) -> None:
    """A stored ``station.restored`` event takes its pending succession from its seq on."""
    for event in stored:
        if event.type == RESTORED:
            conn.execute("UPDATE successions SET taken_seq = ? WHERE station_id = ? AND "
                         "public_key = ? AND taken_seq IS NULL",
                         (event.seq, station_id, event.payload.get("public_key")))


def former_keys(conn, stations: set[str]) -> dict[str, list[str]]:
    """Each station's keys before its successors (the roster page's ``former``): the card
    records they signed stay valid at every station."""
    found: dict[str, list[str]] = {}
    for station_id, key in conn.execute("SELECT station_id, previous_key FROM successions "
                                        "ORDER BY station_id, county_time").fetchall():
        if station_id in stations and key not in found.setdefault(station_id, []):
            found[station_id].append(key)
    return found
