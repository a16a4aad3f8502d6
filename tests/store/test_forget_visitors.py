"""An existing station upgrades (issue 24): its database, made before home stations, holds
other stations' residents that the old roster brought. After the upgrade, the first purge (the
roster pull runs it) forgets those never served here, and rebuilds the file: their rows are
gone and no byte of their names is left in the database or its write-ahead log. One who was
checked in here stays, as a visitor, until ``roster.visitor_days`` after that check-in."""

from __future__ import annotations

import datetime as dt

from kiosk.adapters.clock import FakeClock
from kiosk.bootstrap import build_core
from kiosk.domain.model import Resident
from kiosk.domain.unit_of_work import EventFactory
from kiosk.keys import load_key_file
from kiosk.store.database import connect_writer
from kiosk.store.migrations import migrations
from kiosk.store.search_keys import index_resident
from kiosk.store.sqlite import SqliteUnitOfWork
from kiosk.sync.visitors import forget_expired

AWAY = {"res-far1": "远方甲", "res-far2": "远方乙"}  # never served here
SERVED = ("res-seen", "来过丙")  # checked in here once, before the upgrade
OWN = ("res-own", "自家丁")


def old_station(config, clock) -> None:
    """The station's database as the release before home stations left it."""
    db = connect_writer(config.station.database)
    migrations.apply(db, stop_before="m020_home_stations")
    key = load_key_file(config.station.key_file)
    uow = SqliteUnitOfWork(db, EventFactory(config.station.id, key, clock))
    with uow:
        uow.record("station.initialized", {"station_id": config.station.id,
                                           "public_key": key.public_bytes().hex(),
                                           "software": "kiosk 0.old"})
        uow.residents.add(Resident(OWN[0], OWN[1]))
        uow.record("resident.registered", {"id": OWN[0], "name": OWN[1], "by": "t"})
        for n, (rid, name) in enumerate([*AWAY.items(), SERVED]):  # what the old roster applied
            db.execute("INSERT INTO residents (id, name, village) VALUES (?, ?, '西村')", (rid, name))
            index_resident(db, rid, name)
            db.execute("INSERT INTO roster_served VALUES (?, 'station-x', 1)", (rid,))
            db.execute("INSERT INTO issued_cards (card_no, role, holder_id, uid_hash, kind, "
                       "issued_at, issued_by, status) VALUES (?, 'resident', ?, '', 'cpu', 'x', "
                       "'station:station-x', ?)", (f"XCARD{n}", rid, "revoked" if n == 0 else
                                                   "active"))
            db.execute("INSERT INTO care_plan_items (id, resident_id, plan, title, earliest, due, "
                       "latest) VALUES (?, ?, 'prenatal', '孕早期建册', '2026-01-01', "
                       "'2026-02-01', '2026-03-01')", (f"item-{rid}", rid))
        db.execute("INSERT INTO checkins (id, resident_id, station_id, local_date, queue_no, "
                   "checked_in_at) VALUES ('ci-1', ?, ?, '2026-11-27', 1, "
                   "'2026-11-27T01:00:00+00:00')", (SERVED[0], config.station.id))
        uow.commit()
    db.conn.close()


def file_bytes(config) -> bytes:
    path = config.station.database
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal"))
                    if p.exists())


def test_the_first_purge_after_the_upgrade_forgets_other_stations_residents(config, clock):
    old_station(config, clock)
    assert all(name.encode() in file_bytes(config) for name in AWAY.values())
    core = build_core(config, clock=clock)  # the upgrade: migration m020
    try:
        assert core.db.execute("SELECT resident_id, station_id FROM homes ORDER BY 1").fetchall() \
            == [("res-far1", "station-x"), ("res-far2", "station-x"), (SERVED[0], "station-x")]
        assert forget_expired(core) == 2
        ids = [r[0] for r in core.db.execute("SELECT id FROM residents ORDER BY id")]
        assert ids == [OWN[0], SERVED[0]]
        for table, column in (("issued_cards", "holder_id"), ("care_plan_items", "resident_id"),
                              ("resident_search_keys", "resident_id")):
            assert not core.db.execute(f"SELECT 1 FROM {table} WHERE {column} IN "
                                       "('res-far1', 'res-far2')").fetchall(), table
        assert core.db.execute("SELECT card_no FROM revoked_cards").fetchall() == [("XCARD0",)]
        assert core.db.execute("SELECT value FROM meta WHERE key = 'vacuum_after_purge'"
                               ).fetchone() is None  # the file was rebuilt
    finally:
        core.close()
    held = file_bytes(config)
    for name in AWAY.values():
        assert name.encode() not in held, name
    assert SERVED[1].encode() in held and OWN[1].encode() in held

    later = FakeClock(clock.now() + dt.timedelta(days=31))  # roster.visitor_days = 30
    core = build_core(config, clock=later)
    try:
        assert forget_expired(core) == 1
        assert [r[0] for r in core.db.execute("SELECT id FROM residents")] == [OWN[0]]
        assert core.db.execute("SELECT COUNT(*) FROM checkins").fetchone()[0] == 0
        events = [r[0] for r in core.db.execute("SELECT type FROM events ORDER BY seq")]
        assert events[:2] == ["station.initialized", "resident.registered"]  # the log stays
    finally:
        core.close()
    assert SERVED[1].encode() not in file_bytes(config)
