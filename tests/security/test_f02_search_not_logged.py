"""Finding 2: a technician's search was stored as typed in the signed `residents.searched` event
and reached the county.

Through the real technician pages, a station process's sync and a county on loopback: a search
for an ID number (matched through its keyed hash) and for a phone number leaves neither string
anywhere in the station database, the operator log or the county database (byte search).
"""

import logging

import pytest
from click.testing import CliRunner

from kiosk.cli.main import main
from kiosk.domain.registry import Registration
from kiosk.domain.validation import ID_WEIGHTS
from tests.security.test_f03_roster_no_uid_hash import CountyRig
from tests.web.test_staff_web import PIN, Kiosk

ID_STEM = "11010219900307451"
ID_NUMBER = ID_STEM + "10X98765432"[sum(int(d) * w for d, w in zip(ID_STEM, ID_WEIGHTS, strict=True)) % 11]
PHONE = "13912345678"  # nobody's phone: the search finds nothing, and must leave nothing


@pytest.fixture
def station(tmp_path, clock):
    rig = CountyRig(tmp_path, clock, ("search-st",))
    yield rig.cores["search-st"], rig.paths["search-st"]
    rig.close()


def searched(kiosk, text):
    page = kiosk.post("/staff/residents", q=text).get_data(as_text=True)
    return page, kiosk.events("residents.searched")[-1].payload


def test_f02_id_number_and_phone_searches_leave_no_trace(station, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    core, path = station
    from kiosk.sim.wallet import issue_virtual_card
    tech = core.staff.add("赵技术员", PIN)
    kiosk = Kiosk(core)
    kiosk.login(issue_virtual_card(core, "technician", tech.id, bytes.fromhex("08AABBCC"), "cpu"))
    her = core.registry.register(Registration("王秀华", "1990-03-07", "东湾村", "",
                                              national_id=ID_NUMBER, consent=True), by=tech.id)

    page, event = searched(kiosk, ID_NUMBER)  # the duplicate check works from the search box
    assert "王秀华" in page and her.id in page
    assert event == {"kind": "national_id", "village": "", "results": 1, "by": tech.id}
    page, event = searched(kiosk, f"{PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}")
    assert event == {"kind": "phone", "village": "", "results": 0, "by": tech.id}
    assert searched(kiosk, "王")[1]["kind"] == "name"

    result = CliRunner().invoke(main, ["--config", str(path), "sync", "--once"])
    assert result.exit_code == 0, result.output
    files = [f for f in tmp_path.rglob("*") if f.is_file()]
    stores = [f for f in files if f.name.startswith(("kiosk.db", "county.db"))]
    assert {f.name for f in stores} >= {"kiosk.db", "county.db"}
    import sqlite3
    with sqlite3.connect(tmp_path / "county" / "county.db") as county:
        searches = county.execute("SELECT COUNT(*) FROM events WHERE type = 'residents.searched'")
        assert searches.fetchone()[0] == 3  # the searches reached the county, as kinds only
    for secret in (ID_NUMBER, PHONE):
        for f in files:
            assert secret.encode() not in f.read_bytes(), f"{secret} in {f}"
        assert secret not in caplog.text and secret not in result.output


def test_f02_phones_never_in_an_audit_event(station):
    core, _path = station
    core.registry.register(Registration("李明", "1988-07-01", "西岭村", "13700001111",
                                        consent=True), by="tech")
    her_own = {"resident.registered", "resident.corrected"}  # her details, kept at the station
    for type_, payload in core.db.execute("SELECT type, payload FROM events").fetchall():
        if type_ not in her_own:
            assert "13700001111" not in payload, type_
