"""A stolen Pi reveals only its own township (issue 24), shown with three real station processes
(`kiosk serve --json`) and a county process on loopback. Stations A and B register residents;
C holds none of them after every sync; A's resident taps her card at C and is looked up at the
county (both stations and the county log it, her record at A lists it); with the county down
she checks in at C by her card number and is linked once it is back; C forgets a visitor after
``roster.visitor_days`` and her card still works; a card revoked at A is refused at C without C
holding her; a move from A to B takes her whole record to B and leaves A only its own events.

A and C tap through the session pcscd's two readers (C: the visitors' kiosk; A: its
technician's login), B has the fake reader. The processes are shared by the module's tests
(tests/parallel.py keeps them on one worker)."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.bootstrap import build_core
from kiosk.domain.registry import Registration
from kiosk.sim.wallet import issue_virtual_card
from tests.county.stations_rig import StationsRig, events
from tests.waiting import wait_until

NAMES = {"station-a": ("王秀华", "陈丽", "赵敏"), "station-b": ("李芳",)}


def seed(core, names: tuple[str, ...], first_uid: int) -> dict[str, tuple[str, object]]:
    """Each name registered with consent and a card; the first also in a plan with an item
    due now. name -> (resident id, her virtual card)."""
    found = {}
    for n, name in enumerate(names):
        resident = core.registry.register(Registration(name, "1990-03-12", "东湾村", consent=True),
                                          by="console")
        card = issue_virtual_card(core, "resident", resident.id,
                                  bytes([0x04, first_uid + n, 0xB2, 0xC3]), "cpu")
        found[name] = (resident.id, card)
    wang = found[names[0]][0]
    procedure = dt.date.today() - dt.timedelta(days=33)  # its one-month check is due
    core.care.enrol(wang, "iud-followup", {"procedure_date": procedure.isoformat()}, "console")
    return found


@pytest.fixture(scope="module")
def rig(tmp_path_factory, pcscd):
    rig = StationsRig(tmp_path_factory.mktemp("visitors"), pcscd)
    a, b = rig.add("station-a", 1), rig.add("station-b", None)
    c = rig.add("station-c", 0, extra="\n[roster]\nvisitor_days = 1\n")
    rig.residents = {**a.seed(lambda core: seed(core, NAMES["station-a"], 0x10)),
                     **b.seed(lambda core: seed(core, NAMES["station-b"], 0x20))}
    rig.start_county()
    for station in (a, b, c):
        station.start()
    for station in (a, b):
        station.sync()
    c.sync(until=lambda: len(c.query("SELECT 1 FROM remote_stations")) == 2)
    yield rig
    rig.close()


def file_bytes(station) -> bytes:
    path = station.config.station.database
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal"))
                    if p.exists())


def test_a_station_holds_no_name_of_another_stations_residents(rig):
    c = rig.stations["station-c"]
    held = file_bytes(c)
    for names in NAMES.values():
        for name in names:
            assert name.encode() not in held, name
    assert c.query("SELECT COUNT(*) FROM residents") == [(0,)]


def test_her_card_at_another_station_looks_her_up_and_everyone_logs_it(rig):
    a, c = rig.stations["station-a"], rig.stations["station-c"]
    wang, card = rig.residents["王秀华"]
    report = c.tap(card)
    assert report["kind"] == "checked_in" and report["resident_id"] == wang
    assert "visitor_card" not in report
    screen = c.screen()
    assert "王*华" in screen  # her masked name, and her plan's next check came with her
    assert 'class="next"' in screen or 'class="overdue"' in screen
    assert [e["resident_id"] for e in events(c, "visitor.looked_up")] == [wang]
    assert rig.county_query("SELECT actor, subject FROM county_audit WHERE action = "
                            "'visitor.lookup'") == [("station:station-c", wang)]
    c.sync()
    a.sync(until=lambda: a.query("SELECT technician_id, what FROM record_views WHERE "
                                 "resident_id = ?", (wang,)) == [("station:station-c", "lookup")])
    assert any(wang in str(e.get("looked_up")) for e in events(a, "roster.applied"))
    page = a.technician().opener.open(f"{a.process.ui_url}staff/residents/{wang}",
                                      timeout=20).read().decode()
    assert "station-c" in page  # her record at home lists the lookup


def test_offline_she_checks_in_by_her_card_number_and_is_linked_later(rig):
    c = rig.stations["station-c"]
    li, card = rig.residents["李芳"]
    rig.stop_county()
    try:
        report = c.tap(card)
        assert report["kind"] == "checked_in" and report.get("visitor_card")
        screen = c.screen()
        assert report["visitor_card"] in screen and "李芳" not in screen
        assert c.query("SELECT COUNT(*) FROM residents WHERE id = ?", (li,)) == [(0,)]
    finally:
        rig.start_county()
    c.sync(until=lambda: c.query("SELECT resident_id FROM checkins WHERE id = ?",
                                 (report["checkin_id"],)) == [(li,)])
    linked = events(c, "checkin.linked")
    assert [(e["checkin_id"], e["resident_id"]) for e in linked] == [(report["checkin_id"], li)]
    assert c.query("SELECT COUNT(*) FROM residents WHERE id LIKE 'visitor-%'") == [(0,)]


def test_a_card_revoked_at_home_is_refused_elsewhere_without_her_record(rig):
    a, c = rig.stations["station-a"], rig.stations["station-c"]
    chen, card = rig.residents["陈丽"]
    card_no = a.query("SELECT card_no FROM issued_cards WHERE holder_id = ?", (chen,))[0][0]
    a.technician().post(f"staff/cards/{card_no}/revoke", reason="lost")
    a.sync()
    c.sync(until=lambda: c.query("SELECT card_no FROM revoked_cards") == [(card_no,)])
    report = c.tap(card)
    assert report["kind"] == "card_refused" and report["reason"] == "revoked"
    assert c.query("SELECT COUNT(*) FROM residents WHERE id = ?", (chen,)) == [(0,)]
    assert "陈丽".encode() not in file_bytes(c)


def test_she_moves_and_her_whole_record_goes_with_her(rig):
    a, b = rig.stations["station-a"], rig.stations["station-b"]
    zhao, _card = rig.residents["赵敏"]
    url, _ = a.technician().post(f"staff/residents/{zhao}/move", to="station-b")
    assert zhao in url
    a.sync(until=lambda: a.query("SELECT COUNT(*) FROM residents WHERE id = ?", (zhao,)) == [(0,)])
    b.sync(until=lambda: b.query("SELECT name FROM residents WHERE id = ?", (zhao,)) == [("赵敏",)])
    assert b.query("SELECT COUNT(*) FROM homes WHERE resident_id = ?", (zhao,)) == [(0,)]  # hers
    assert len(b.query("SELECT card_no FROM issued_cards WHERE holder_id = ?", (zhao,))) == 1
    assert [e["id"] for e in events(a, "resident.registered") if e["id"] == zhao] == [zhao]
    assert a.query("SELECT COUNT(*) FROM issued_cards WHERE holder_id = ?", (zhao,)) == [(0,)]


def test_after_visitor_days_she_is_forgotten_and_her_card_still_works(rig):
    c = rig.stations["station-c"]
    wang, card = rig.residents["王秀华"]
    assert c.query("SELECT COUNT(*) FROM residents WHERE id = ?", (wang,)) == [(1,)]
    c.stop()
    from kiosk.adapters.clock import FakeClock
    from kiosk.sync.visitors import forget_expired
    later = FakeClock(dt.datetime.now(dt.UTC) + dt.timedelta(days=3))  # visitor_days = 1 at C
    core = build_core(c.config, clock=later)
    try:
        assert forget_expired(core) >= 2  # 王秀华 and 李芳, kept a day after their last tap
    finally:
        core.close()
    assert "王秀华".encode() not in file_bytes(c) and "李芳".encode() not in file_bytes(c)
    assert c.query("SELECT COUNT(*) FROM residents") == [(0,)]
    assert events(c, "visitor.looked_up")  # what C did for her stays in its log
    c.start()
    assert wait_until(lambda: c.process.statuses, 20)
    report = c.tap(card)
    assert report["kind"] == "checked_in" and report["resident_id"] == wang
