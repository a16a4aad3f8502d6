"""Verifying a stored event log against the station's public key, and against the newest
acknowledgement the county signed (a chain cut short still verifies on its own)."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.domain.chain import ChainReport, Problem, verify_chain
from kiosk.domain.disclosure import check_secrets
from kiosk.errors import ProtocolError, StoreError
from kiosk.keys import load_public_key, public_key_from_hex
from kiosk.ports import Ack
from kiosk.protocol.succession import verify_succession
from kiosk.protocol.sync import verify_ack
from kiosk.store.database import connect_readonly, first_event
from kiosk.store.sqlite import event_secrets, iter_events
from kiosk.store.sync_log import kept_acks


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


def verify_database(database: Path, public_key_file: Path, station_id: str | None,
                    county_key: Ed25519PublicKey | None = None) -> ChainReport:
    """The chain's report; with ``county_key``, only acknowledgements it signed count, and a
    kept one it did not sign is a problem too (the acknowledgements were tampered with)."""
    if not Path(database).exists():
        raise StoreError(f"database {database} does not exist")
    key = load_public_key(public_key_file)
    db = connect_readonly(database)
    try:
        genesis = first_event(db)
        station = station_id or (json.loads(genesis[0]).get("station_id") if genesis else "")
        newest, unsigned = _newest_signed(kept_acks(db, station or ""), county_key)
        restored = db.execute("SELECT 1 FROM events WHERE type = 'station.restored' "
                              "LIMIT 1").fetchone() is not None
        first = key  # a restored station's chain starts with the key before its own
        if restored and genesis:
            first = public_key_from_hex(json.loads(genesis[0]).get("public_key", ""))
        report = verify_chain(iter_events(db), first, station_id,
                              (newest.seq, newest.hash) if newest else None,
                              _succession_check(county_key))
        if restored and report.key is not None and _raw(report.key) != _raw(key):
            report.problems.append(Problem(0, "-", "the chain's newest key is not this station "
                                           "key (another successor?)"))
        report.problems.extend(secret_problems(db))
    finally:
        db.conn.close()
    report.problems.extend(Problem(ack.seq, "-", "a kept acknowledgement is not signed by the "
                                   "county key (sync_acks altered?)") for ack in unsigned)
    return report


def _raw(key: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _succession_check(county_key: Ed25519PublicKey | None):
    """With the county key: a succession counts only if the county signed it."""
    if county_key is None:
        return None

    def trusted(succession) -> bool:
        try:
            verify_succession(succession, county_key)
            return True
        except ProtocolError:
            return False
    return trusted


def _newest_signed(acks: list[Ack], county_key: Ed25519PublicKey | None
                   ) -> tuple[Ack | None, list[Ack]]:
    """The highest acknowledgement that verifies, and the higher ones that do not."""
    unsigned: list[Ack] = []
    for ack in acks:
        if county_key is None:
            return ack, unsigned
        try:
            verify_ack(vars(ack), county_key)
        except ProtocolError:
            unsigned.append(ack)
            continue
        return ack, unsigned
    return None, unsigned
