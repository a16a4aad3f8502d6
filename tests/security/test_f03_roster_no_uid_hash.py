"""Finding 3: the roster carried an unkeyed SHA-256 of each card's UID, so a 4-byte UID fell out
of it in seconds and then mapped a card read with any NFC phone to her name.

Two stations and a county on loopback: the roster feed carries no UID hash (for new and for
old events at the county), the other station keeps none (an older pull is cleared by a
migration), and her card still checks her in there, bound by its signed record.
"""

import hashlib
import json

import pytest
from click.testing import CliRunner

from kiosk.adapters.county import HttpCountyLink
from kiosk.bootstrap import build_core
from kiosk.cli.main import main
from kiosk.config.loader import load_config
from kiosk.domain.cards import uid_hash
from kiosk.domain.outcomes import CardRefused, CheckedIn
from kiosk.domain.registry import Registration
from kiosk.keys import generate_key_file
from kiosk.sim.wallet import issue_virtual_card, read_card
from kiosk.testing.station import write_station_config
from tests.county.test_county import county_cli, free_port, start_county

UID = bytes.fromhex("04A1B2C3")


@pytest.fixture
def stations(tmp_path, clock):
    public = county_cli(tmp_path / "county", "init").split("public key (hex): ")[1].strip()
    port = free_port()
    cores, paths = {}, {}
    for name in ("station-a", "station-b"):
        path = write_station_config(tmp_path / name, None, station_id=name,
                                    extra=f'\n[county]\nurl = "http://127.0.0.1:{port}"\n'
                                          f'public_key = "{public}"\n')
        generate_key_file(load_config(path).key_file)
        cores[name], paths[name] = build_core(load_config(path), clock=clock), path
        county_cli(tmp_path / "county", "enroll", "--station", name,
                   "--pubkey", cores[name].key.public_bytes().hex())
    proc = start_county(tmp_path / "county", port)
    yield cores, paths, f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)
    for core in cores.values():
        core.db.conn.close()


def sync(path) -> None:
    result = CliRunner().invoke(main, ["--config", str(path), "sync", "--once"])
    assert result.exit_code == 0, result.output


def unkeyed(uid: bytes) -> str:
    return hashlib.sha256(b"kiosk-card-uid-v1:" + uid).hexdigest()


def test_f03_roster_carries_no_uid_hash(stations):
    cores, paths, url = stations
    a, b = cores["station-a"], cores["station-b"]
    her = a.registry.register(Registration("王秀华", "1994-03-12", "东湾村", consent=True), by="t")
    card = issue_virtual_card(a, "resident", her.id, UID, "mifare")
    assert uid_hash(UID) == unkeyed(UID)  # what the roster used to carry
    sync(paths["station-a"])

    page = HttpCountyLink(url).roster("station-b", 0, b.key)
    issued = [e for e in page["entries"] if e["type"] == "card.issued"]
    assert issued and all("uid_hash" not in e["data"] for e in issued)
    assert unkeyed(UID) not in json.dumps(page)

    sync(paths["station-b"])
    assert b.db.execute("SELECT uid_hash FROM issued_cards").fetchall() == [("",)]
    outcome = b.checkins.handle_tap(read_card(card))
    assert isinstance(outcome, CheckedIn) and outcome.resident_id == her.id
    copy = card.copy_to(bytes.fromhex("04C0FFEE"))  # her record on another card: still refused
    assert isinstance(b.checkins.handle_tap(read_card(copy)), CardRefused)


def test_f03_an_older_pull_loses_its_uid_hashes(stations):
    from kiosk.store.migrations import m010_roster_cards_without_uid_hash
    cores, _paths, _url = stations
    b = cores["station-b"]
    b.db.execute("INSERT INTO residents (id, name) VALUES ('r-old', '李明')")
    b.db.execute("INSERT INTO issued_cards (card_no, role, holder_id, uid_hash, kind, issued_at, "
                 "issued_by) VALUES ('OLDCARD', 'resident', 'r-old', ?, 'cpu', 'x', "
                 "'station:station-a')", (unkeyed(UID),))
    m010_roster_cards_without_uid_hash(b.db)
    assert b.db.execute("SELECT uid_hash FROM issued_cards").fetchall() == [("",)]
