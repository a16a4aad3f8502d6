"""SQLite store: durability settings, append-only log, atomic state + event."""

import sqlite3

import pytest

from kiosk.domain.model import Card, Resident
from kiosk.domain.outcomes import CheckedIn
from kiosk.sim.wallet import issue_virtual_card, read_card
from kiosk.store.sqlite import iter_events


def add_resident(core, rid="r1", uid="04a1b2c3", name="王秀华", kind="mifare"):
    """Register her and issue a signed virtual card; return what a reader reads of it."""
    with core.uow() as uow:
        uow.residents.add(Resident(rid, name))
        uow.record("resident.registered", {"resident_id": rid})
        uow.commit()
    return read_card(issue_virtual_card(core, "resident", rid, bytes.fromhex(uid), kind))


def test_pragmas_for_durability(core):
    conn = core.db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_new_database_starts_with_station_identity(core):
    genesis = next(iter_events(core.db))
    assert genesis.type == "station.initialized" and genesis.seq == 1
    assert genesis.payload["public_key"] == core.key.public_bytes().hex()


def test_events_are_append_only(core):
    for sql in ("UPDATE events SET type = 'x'", "DELETE FROM events"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            core.db.execute(sql)


def test_checkin_and_event_commit_together(core):
    card = add_resident(core)
    outcome = core.checkins.handle_tap(card)
    assert isinstance(outcome, CheckedIn)
    row = core.db.execute("SELECT queue_no FROM checkins").fetchone()
    event = [e for e in iter_events(core.db) if e.type == "checkin.created"][0]
    assert row[0] == 1 and event.payload["checkin_id"] == outcome.checkin_id


def test_failed_unit_of_work_leaves_neither_state_nor_event(core):
    before = core.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    with pytest.raises(sqlite3.IntegrityError):
        with core.uow() as uow:
            uow.residents.add(Resident("r9", "赵"))
            uow.record("resident.registered", {"resident_id": "r9"})
            uow.cards.add(Card("h", "no-such-resident"))  # foreign key fails
            uow.commit()
    assert core.db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == before
    assert core.db.execute("SELECT COUNT(*) FROM residents").fetchone()[0] == 0


def test_uncommitted_unit_of_work_rolls_back(core):
    with core.uow() as uow:
        uow.residents.add(Resident("r9", "赵"))
    assert core.db.execute("SELECT COUNT(*) FROM residents").fetchone()[0] == 0
