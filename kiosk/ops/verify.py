"""Verifying a stored event log against the station's public key."""

from __future__ import annotations

from pathlib import Path

from kiosk.domain.chain import ChainReport, verify_chain
from kiosk.errors import StoreError
from kiosk.keys import load_public_key
from kiosk.store.database import connect
from kiosk.store.sqlite import iter_events


def verify_database(database: Path, public_key_file: Path, station_id: str | None) -> ChainReport:
    if not Path(database).exists():
        raise StoreError(f"database {database} does not exist")
    key = load_public_key(public_key_file)
    db = connect(database)
    try:
        return verify_chain(iter_events(db), key, station_id)
    finally:
        db.conn.close()
