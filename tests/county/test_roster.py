"""The roster feed between two stations through a real county process: she registers at
A and checks in at B after B's next pull; a card revoked at A is refused at B."""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import replace

import pytest
from click.testing import CliRunner

from kiosk.bootstrap import build_core
from kiosk.cli.main import main
from kiosk.config.loader import load_config
from kiosk.domain.outcomes import CardRefused, CheckedIn
from kiosk.domain.registry import Registration
from kiosk.keys import generate_key_file
from kiosk.sim.wallet import issue_virtual_card, read_card
from kiosk.store.sqlite import iter_events
from kiosk.testing.station import write_station_config
from kiosk.testing.taps import tap
from tests.county.test_county import county_cli, free_port, start_county


@pytest.fixture
def two_stations(tmp_path, clock, county_database):
    yield from county_and_stations(tmp_path, clock, county_database)


def county_and_stations(tmp_path, clock, db: str | None, stderr=subprocess.DEVNULL):
    """A real county process with stations A and B enrolled: (cores, config paths, county
    data dir); ``stderr`` is where the county logs."""
    data_dir = tmp_path / "county"
    public = county_cli(data_dir, "init", database=db).split("public key (hex): ")[1].strip()
    port = free_port()
    cores, paths = {}, {}
    for name in ("station-a", "station-b"):
        path = write_station_config(tmp_path / name, None, station_id=name,
                                    extra=f'\n[county]\nurl = "http://127.0.0.1:{port}"\n'
                                          f'public_key = "{public}"\n')
        generate_key_file(load_config(path).station.key_file)
        cores[name], paths[name] = build_core(load_config(path), clock=clock), path
        county_cli(data_dir, "enroll", "--station", name,
                   "--pubkey", cores[name].key.public_bytes().hex(), database=db)
    proc = start_county(data_dir, port, db, stderr=stderr)
    yield cores, paths, data_dir
    proc.terminate()
    proc.wait(10)
    for core in cores.values():
        core.close()


def sync(path) -> str:
    result = CliRunner().invoke(main, ["--config", str(path), "sync", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def test_check_in_anywhere_and_revoked_everywhere(two_stations):
    cores, paths, _ = two_stations
    a, b = cores["station-a"], cores["station-b"]
    resident = a.registry.register(Registration("王𠮷华", "1994-03-12", "东湾村", "13800000000",
                                                consent=True), by="tech-a")
    card = issue_virtual_card(a, "resident", resident.id, bytes.fromhex("04A1B2C3"), "cpu")
    items = a.care.enrol(resident.id, "iud-followup", {"procedure_date": "2026-10-25"}, "tech-a")
    a.care.log_visit(items[0].id, "2026-11-26", "completed", "私人备注", "2026-12-20", "tech-a")
    before = b.checkins.handle_tap(read_card(card))  # B has not pulled: A is not known yet
    assert isinstance(before, CardRefused) and before.reason == "unknown_issuer"

    sync(paths["station-a"])
    sync(paths["station-b"])  # B learns A's key; of A's residents, nothing
    assert b.db.execute("SELECT COUNT(*) FROM residents").fetchone()[0] == 0  # not B's resident
    outcome = tap(b, read_card(card))  # looked up at the county (issue 24)
    assert isinstance(outcome, CheckedIn) and outcome.masked_name == "王*华"
    assert outcome.follow_up.next_item.next_date == "2026-12-20"  # her plan came along
    row = b.db.execute("SELECT phone, national_id_hash FROM residents WHERE id = ?",
                       (resident.id,)).fetchone()
    assert row == (None, None)  # what B does not need does not cross
    assert b.db.execute("SELECT note FROM visits").fetchone()[0] == ""  # nor staff notes
    assert [e for e in iter_events(b.db) if e.type == "roster.applied"]

    a.desk.revoke(a.db.execute("SELECT card_no FROM issued_cards").fetchone()[0], "tech-a")
    sync(paths["station-a"])
    sync(paths["station-b"])
    refused = tap(b, read_card(card))
    assert isinstance(refused, CardRefused) and refused.reason == "revoked"


def test_roster_needs_a_fresh_signed_request(two_stations):
    import urllib.error
    import urllib.request
    cores, paths, _ = two_stations
    url = load_config(paths["station-b"]).county.url
    request = urllib.request.Request(f"{url}/api/v1/roster?after=0", headers={
        "X-Station-Id": "station-b", "X-Station-Time": dt.datetime.now(dt.UTC).isoformat(),
        "X-Station-Signature": "00" * 64})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
    from kiosk.adapters.county import HttpCountyLink
    from kiosk.keys import public_key_from_hex
    from kiosk.protocol.roster import verify_page
    b = cores["station-b"]
    page = HttpCountyLink(url).roster("station-b", "", b.key)
    assert verify_page(page, public_key_from_hex(load_config(paths["station-b"]).county.public_key))
    page["entries"].append({"forged": True})
    with pytest.raises(ValueError):
        verify_page(page, public_key_from_hex(load_config(paths["station-b"]).county.public_key))


def test_a_returning_visitor_is_looked_up_again_each_day(two_stations, clock):
    """Her record at B is as her home station last left it: asked for again at her first tap
    of a day (issue 24); with the county out of reach she is still checked in from what B kept."""
    cores, paths, _ = two_stations
    a, b = cores["station-a"], cores["station-b"]
    resident = a.registry.register(Registration("王秀华", "1994-03-12", "东湾村", consent=True),
                                   by="tech-a")
    card = issue_virtual_card(a, "resident", resident.id, bytes.fromhex("04A1B2C3"), "cpu")
    items = a.care.enrol(resident.id, "iud-followup", {"procedure_date": "2026-10-25"}, "tech-a")
    sync(paths["station-a"])
    sync(paths["station-b"])
    assert isinstance(tap(b, read_card(card)), CheckedIn)
    a.care.log_visit(items[0].id, "2026-11-28", "completed", "", "2026-12-20", "tech-a")
    sync(paths["station-a"])
    clock.advance(days=1)
    assert isinstance(tap(b, read_card(card)), CheckedIn)
    assert b.db.execute("SELECT done_on FROM care_plan_items WHERE id = ?",
                        (items[0].id,)).fetchone()[0] == "2026-11-28"  # the visit at home came
    looked_up = [e for e in iter_events(b.db) if e.type == "visitor.looked_up"]
    assert len(looked_up) == 2
    clock.advance(days=1)
    b.config = replace(b.config, county=replace(b.config.county, url="http://127.0.0.1:1"))
    outcome = tap(b, read_card(card))
    assert isinstance(outcome, CheckedIn) and outcome.masked_name == "王*华"
