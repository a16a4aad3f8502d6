"""Finding 6: the county database kept full event payloads: visit notes, phones, technicians'
names.

A station and a county on loopback. Station-only fields (docs/events.md, "county keeps") are
signed as salted commitments and never pushed: the county's copy holds none of them yet still
verifies end to end, and `kiosk verify-log` checks the kept values against their commitments.
Events written before this rule, at the station and already at the county, are cut at the
county (on arrival, and by its migration) while both chains still check.
"""

import hashlib
import sqlite3
import time

import pytest
from click.testing import CliRunner

from kiosk.cli.main import main
from kiosk.county.bootstrap import open_store_at
from kiosk.domain.chain import verify_chain
from kiosk.domain.registry import Registration
from kiosk.sim.wallet import issue_virtual_card
from kiosk.store.sqlite import iter_events
from tests.security.test_f03_roster_no_uid_hash import CountyRig

NOTE, PHONE, TECH = "私人备注：只留在站里", "13755556666", "钱秀英技术员"
UID = bytes.fromhex("04F0F1F2")


@pytest.fixture
def rig(tmp_path, clock):
    county = CountyRig(tmp_path, clock, ("notes-st",))
    yield (county.cores["notes-st"], county.paths["notes-st"], county.county_dir, county.stop,
           county.start)
    county.close()


def a_working_day(core, tag=""):
    """Register her, enrol her, log a visit with a staff note, add a technician, issue a card."""
    tech = core.staff.add(TECH + tag, "246813")
    her = core.registry.register(Registration("王秀华" + tag, "1994-03-12", "东湾村", phone(tag),
                                              consent=True), by=tech.id)
    items = core.care.enrol(her.id, "iud-followup", {"procedure_date": "2026-10-25"}, tech.id)
    core.care.log_visit(items[0].id, "2026-11-26", "completed", NOTE + tag, None, tech.id)
    issue_virtual_card(core, "resident", her.id, UID[:3] + bytes([len(tag)]), "mifare", by=tech.id)
    return tech, her


def phone(tag: str) -> str:
    return PHONE[:len(PHONE) - len(tag)] + tag


def sync(path):
    result = CliRunner().invoke(main, ["--config", str(path), "sync", "--once"])
    assert result.exit_code == 0, result.output


def secrets_of(core, tag=""):
    uid = UID[:3] + bytes([len(tag)])
    return [NOTE + tag, phone(tag), TECH + tag,
            hashlib.sha256(b"kiosk-card-uid-v1:" + uid).hexdigest()]


def county_bytes(county_dir) -> bytes:
    return b"".join(f.read_bytes() for f in county_dir.iterdir() if f.name.startswith("county.db"))


def county_chain(county_dir, core):
    store = open_store_at(str(county_dir / "county.db"))
    events = store.events("notes-st", 0, 100000)
    store.close()
    return events, verify_chain(events, core.key.public, "notes-st")


def verify_log(path):
    return CliRunner().invoke(main, ["--config", str(path), "verify-log"])


def test_f06_station_only_fields_never_reach_the_county(rig):
    core, path, county_dir, _stop, _start = rig
    a_working_day(core)
    sync(path)
    stored = county_bytes(county_dir)
    for secret in secrets_of(core):
        assert secret.encode() not in stored, secret
    events, report = county_chain(county_dir, core)
    assert len(events) == core.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    assert report.ok, report.problems  # every event the county holds verifies in full
    assert NOTE in core.db.execute("SELECT note FROM visits").fetchone()[0]  # kept here
    assert verify_log(path).exit_code == 0


def test_f06_verify_log_checks_the_kept_values(rig):
    core, path, *_ = rig
    a_working_day(core)
    core.db.execute("DROP TRIGGER event_secrets_no_update")
    core.db.execute("UPDATE event_secrets SET fields = replace(fields, ?, ?)", (PHONE, "13700000000"))
    core.db.conn.commit()
    result = verify_log(path)
    assert result.exit_code == 1 and "commitment" in result.output


def test_f06_older_events_are_cut_at_the_county_and_chains_still_check(rig, monkeypatch):
    core, path, county_dir, stop_county, start_county_again = rig
    import kiosk.domain.unit_of_work as uow_module
    with monkeypatch.context() as old_station:  # a station before this change: all in full
        old_station.setattr(uow_module, "withhold", lambda type_, payload: (payload, {}))
        a_working_day(core, "7")
        sync(path)  # pushed in full, cut by the county on arrival
        a_working_day(core, "88")  # still in the station's log, pushed after the upgrade
    for secret in secrets_of(core, "7"):
        assert secret.encode() not in county_bytes(county_dir)

    stop_county()  # and a county that stored events in full before its upgrade:
    time.sleep(0.5)
    with sqlite3.connect(county_dir / "county.db") as db:
        db.execute("DROP TRIGGER county_events_no_update")
        for seq, payload in core.db.execute("SELECT seq, payload FROM events").fetchall():
            db.execute("UPDATE events SET payload = ? WHERE station_id = 'notes-st' AND seq = ?",
                       (payload, seq))
        db.execute("DELETE FROM county_meta")
        db.execute("DROP TABLE county_schema")  # a database from before versioned migrations
    assert (NOTE + "7").encode() in county_bytes(county_dir)
    start_county_again()  # its migration cuts them
    a_working_day(core, "999")  # new events, with commitments
    sync(path)  # the old full events of "88" are verified on arrival, then cut

    stored = county_bytes(county_dir)
    for tag in ("7", "88", "999"):
        for secret in secrets_of(core, tag):
            assert secret.encode() not in stored, secret
    events, report = county_chain(county_dir, core)
    assert len(events) == core.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    assert all(p.reason.startswith("content does not match") for p in report.problems)
    links = [(e.seq, e.prev_hash) for e in events[1:]]
    assert links == [(e.seq + 1, e.hash) for e in events[:-1]]  # one unbroken chain
    cut = {p.seq for p in report.problems}
    assert cut and all(any("_withheld" in str(v) for v in e.payload.values())
                       for e in events if e.seq in cut)
    assert verify_log(path).exit_code == 0  # the station's own log, old and new, verifies
    assert [e.seq for e in iter_events(core.db)] == [e.seq for e in events]
