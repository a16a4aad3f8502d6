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
from kiosk.domain.outcomes import CardRefused, CheckedIn, VisitorCard
from kiosk.domain.registry import Registration
from kiosk.keys import generate_key_file, public_key_from_hex
from kiosk.sim.wallet import issue_virtual_card, read_card
from kiosk.sync.visitors import ask, keep
from kiosk.testing.station import write_station_config
from tests.county.test_county import county_cli, free_port, start_county

UID = bytes.fromhex("04A1B2C3")


class CountyRig:
    """A county on loopback (SQLite, in ``tmp_path/county``) with stations enrolled; shared by
    the security tests that follow data from a station to the county."""

    def __init__(self, tmp_path, clock, names: tuple[str, ...]):
        self.county_dir, self.port = tmp_path / "county", free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        public = county_cli(self.county_dir, "init").split("public key (hex): ")[1].strip()
        self.cores, self.paths = {}, {}
        for name in names:
            path = write_station_config(tmp_path / name, None, station_id=name,
                                        extra=f'\n[county]\nurl = "{self.url}"\n'
                                              f'public_key = "{public}"\n')
            generate_key_file(load_config(path).station.key_file)
            self.cores[name], self.paths[name] = build_core(load_config(path), clock=clock), path
            county_cli(self.county_dir, "enroll", "--station", name,
                       "--pubkey", self.cores[name].key.public_bytes().hex())
        self.proc = None
        self.start()

    def start(self) -> None:
        self.proc = start_county(self.county_dir, self.port)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def close(self) -> None:
        self.stop()
        for core in self.cores.values():
            core.close()


@pytest.fixture
def stations(tmp_path, clock):
    rig = CountyRig(tmp_path, clock, ("station-a", "station-b"))
    yield rig.cores, rig.paths, rig.url
    rig.close()


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

    page = HttpCountyLink(url).roster("station-b", "", b.key)
    assert unkeyed(UID) not in json.dumps(page)

    sync(paths["station-b"])  # B holds her only once her card is tapped there (issue 24)
    visitor = b.checkins.handle_tap(read_card(card))
    assert isinstance(visitor, VisitorCard)
    tap_seq = b.checkins.visitor_tapped(visitor)
    county_key = public_key_from_hex(load_config(paths["station-b"]).county.public_key)
    answer = ask(b, HttpCountyLink(url), county_key, visitor.card_no, visitor.record, tap_seq)
    assert isinstance(answer, dict)
    issued = [e for e in answer["entries"] if e["type"] == "card.issued"]
    assert issued and all("uid_hash" not in e["data"] for e in issued)
    assert unkeyed(UID) not in json.dumps(answer)
    assert keep(b, answer, visitor.card_no, tap_seq)
    assert b.db.execute("SELECT uid_hash FROM issued_cards").fetchall() == [("",)]
    outcome = b.checkins.handle_tap(read_card(card))
    assert isinstance(outcome, CheckedIn) and outcome.resident_id == her.id
    copy = card.copy_to(bytes.fromhex("04C0FFEE"))  # her record on another card: still refused
    assert isinstance(b.checkins.handle_tap(read_card(copy)), CardRefused)


def test_f03_an_older_pull_loses_its_uid_hashes(stations):
    from kiosk.store.migrations import m011_roster_cards_without_uid_hash
    cores, _paths, _url = stations
    b = cores["station-b"]
    b.db.execute("INSERT INTO residents (id, name) VALUES ('r-old', '李明')")
    b.db.execute("INSERT INTO issued_cards (card_no, role, holder_id, uid_hash, kind, issued_at, "
                 "issued_by) VALUES ('OLDCARD', 'resident', 'r-old', ?, 'cpu', 'x', "
                 "'station:station-a')", (unkeyed(UID),))
    m011_roster_cards_without_uid_hash(b.db)
    assert b.db.execute("SELECT uid_hash FROM issued_cards").fetchall() == [("",)]
