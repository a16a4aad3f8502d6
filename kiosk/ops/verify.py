"""Verifying a stored event log against the station's public key."""

from __future__ import annotations

import json
from pathlib import Path

from kiosk.domain.chain import ChainReport, Problem, verify_chain
from kiosk.domain.disclosure import check_secrets
from kiosk.errors import StoreError
from kiosk.keys import load_public_key
from kiosk.store.database import connect
from kiosk.store.sqlite import event_secrets, iter_events


def secret_problems(db) -> list[Problem]:
    """Each kept station-only value must match the commitment its signed event carries."""
    problems = []
    for seq, kept in event_secrets(db):
        row = db.execute("SELECT id, payload FROM events WHERE seq = ?", (seq,)).fetchone()
        if row is None:  # a missing event is the chain's finding (gap or truncation), not ours
            continue
        reason = check_secrets(json.loads(row[1]), kept)
        if reason:
            problems.append(Problem(seq, row[0], reason))
    return problems


def verify_database(database: Path, public_key_file: Path, station_id: str | None) -> ChainReport:
    if not Path(database).exists():
        raise StoreError(f"database {database} does not exist")
    key = load_public_key(public_key_file)
    db = connect(database)
    try:
        report = verify_chain(iter_events(db), key, station_id)
        report.problems.extend(secret_problems(db))
        return report
    finally:
        db.conn.close()
