"""Cards that prove themselves, without a reader: cpu-ecc and desfire virtual cards issued
through the CardDesk with the product's own card code, their perfect clones and replayers
refused, copies refused as copied, two townships, key versions, require_authenticated."""

from __future__ import annotations

import pytest

from kiosk.bootstrap import build_core
from kiosk.config.loader import load_config
from kiosk.domain.card_auth import KeyProof, NotChecked
from kiosk.domain.card_records import frame
from kiosk.domain.model import Resident
from kiosk.domain.outcomes import CardRefused, CheckedIn
from kiosk.keys import generate_key_file
from kiosk.sim.clones import Recorder, Replayer
from kiosk.sim.wallet import issue_virtual_card, new_card, read_card
from kiosk.testing.cards import rekey_township, township_config

UID = bytes.fromhex("04A1B2C3D4E5F6")


def station(tmp_path, name, township, clock, extra_cards="", version=1):
    path = township_config(tmp_path / name, None, name, township, version, extra_cards)
    generate_key_file(load_config(path).station.key_file)
    core = build_core(load_config(path), clock=clock)
    with core.uow() as uow:
        uow.residents.add(Resident("r1", "王秀华", consent_version="health-data-consent-v1"))
        uow.record("resident.registered", {"resident_id": "r1"})
        uow.commit()
    return core


@pytest.fixture
def cg(tmp_path, clock):
    core = station(tmp_path, "cg-01", "chengguan", clock)
    yield core
    core.close()


def refused(core, card, reason):
    outcome = core.checkins.handle_tap(read_card(card, core))
    assert isinstance(outcome, CardRefused) and outcome.reason == reason, outcome
    event = core.db.execute("SELECT payload FROM events WHERE type = 'card.refused' "
                            "ORDER BY seq DESC LIMIT 1").fetchone()[0]
    assert f'"reason":"{reason}"' in event


@pytest.mark.parametrize("kind", ["cpu-ecc", "desfire"])
def test_issue_check_in_and_refuse_the_copies(cg, kind):
    card = issue_virtual_card(cg, "resident", "r1", UID, kind)
    read = read_card(card, cg)
    assert read.kind == kind and read.proof is not None
    outcome = cg.checkins.handle_tap(read)
    assert isinstance(outcome, CheckedIn) and outcome.verified
    assert cg.db.execute("SELECT kind FROM issued_cards").fetchone()[0] == kind
    refused(cg, card.perfect_clone(), "not_authentic")
    recorder = Recorder(card.same_card())
    read_card(recorder, cg)  # the attacker records one genuine tap ...
    replayer = Replayer(card.uid, card.atr, recorder.transcript)
    refused(cg, replayer, "not_authentic")  # ... and plays it back: the challenge is new
    other = issue_virtual_card(cg, "resident", "r1", bytes.fromhex("04112233445566"), kind)
    assert isinstance(cg.checkins.handle_tap(read_card(other, cg)), CheckedIn)  # hers now
    refused(cg, card, "revoked")


def test_a_record_copied_onto_another_authenticating_card_is_copied(cg):
    with cg.uow() as uow:
        uow.residents.add(Resident("r2", "李四", consent_version="health-data-consent-v1"))
        uow.record("resident.registered", {"resident_id": "r2"})
        uow.commit()
    hers = issue_virtual_card(cg, "resident", "r1", UID, "cpu-ecc")
    mine = issue_virtual_card(cg, "resident", "r2", bytes.fromhex("04998877665544"), "cpu-ecc")
    mine.memory[:256] = hers.memory[:256]  # her record on my card, which signs with my key
    refused(cg, mine, "copied")
    theirs = issue_virtual_card(cg, "resident", "r2", bytes.fromhex("04998877665533"), "desfire")
    public = hers.memory[:2 + int.from_bytes(hers.memory[:2], "big")]
    for file in theirs.apps[next(iter(theirs.apps))].files.values():
        file.data[:len(public)] = public
    refused(cg, theirs, "copied")


def test_random_uid_card_shows_its_real_uid_only_after_authentication(cg):
    card = new_card(UID, "desfire", random_id=True)
    issue_virtual_card(cg, "resident", "r1", UID, card=card)
    assert card.read().uid[0] == 0x08  # a reader without the key sees a random UID
    read = read_card(card, cg)
    assert read.uid == UID and isinstance(read.proof, KeyProof)
    assert isinstance(cg.checkins.handle_tap(read), CheckedIn)
    refused(cg, card.perfect_clone(), "not_authentic")


def test_another_townships_card_is_an_unverified_visitor_offline(cg, tmp_path, clock):
    xq = station(tmp_path, "xq-01", "xiqiao", clock)
    try:
        card = issue_virtual_card(xq, "resident", "r1", UID, "desfire")
        read = read_card(card, cg)  # chengguan's key file cannot authenticate it
        assert read.proof == NotChecked("no_key")
        with cg.uow() as uow:  # she is known here (the roster brought her card)
            uow.issued_cards.add(xq.db.execute("SELECT * FROM issued_cards").fetchone() and
                                 _issued(xq))
            uow.commit()
        cg.desk.verify = lambda station, sig, data: True
        outcome = cg.checkins.handle_tap(read)
        assert isinstance(outcome, CheckedIn) and not outcome.verified
        cg.desk.unverified_visitors = False
        refused(cg, card, "unverified")
    finally:
        xq.close()


def _issued(core):
    from kiosk.domain.model import IssuedCard
    row = core.db.execute("SELECT card_no, role, holder_id, kind, issued_at, issued_by "
                          "FROM issued_cards").fetchone()
    return IssuedCard(row[0], row[1], row[2], "", row[3], row[4], "station:xq-01")


def test_old_key_version_is_rekeyed_on_the_next_tap(tmp_path, clock):
    core = station(tmp_path, "cg-01", "chengguan", clock)
    card = issue_virtual_card(core, "resident", "r1", UID, "desfire")
    core.close()
    rekey_township(tmp_path / "cg-01", "chengguan", 2)
    core = build_core(load_config(tmp_path / "cg-01" / "kiosk.toml"), clock=clock)
    try:
        first = read_card(card, core)
        assert first.proof == KeyProof("chengguan", 1, rekeyed_to=2)
        assert isinstance(core.checkins.handle_tap(first), CheckedIn)
        assert read_card(card, core).proof == KeyProof("chengguan", 2)
    finally:
        core.close()


def test_require_authenticated_asks_for_an_exchange(tmp_path, clock):
    core = station(tmp_path, "cg-01", "chengguan", clock)
    old = issue_virtual_card(core, "resident", "r1", bytes.fromhex("04A1B2C3"), "mifare")
    core.desk.require_authenticated = True
    refused(core, old, "exchange")
    with pytest.raises(Exception, match="prove"):
        issue_virtual_card(core, "resident", "r1", bytes.fromhex("04A1B2C4"), "cpu",
                           reason="exchange")
    new = issue_virtual_card(core, "resident", "r1", UID, "desfire", reason="exchange")
    assert isinstance(core.checkins.handle_tap(read_card(new, core)), CheckedIn)
    revoked = core.db.execute("SELECT payload FROM events WHERE type = 'card.revoked'").fetchone()
    assert '"reason":"exchanged"' in revoked[0]
    refused(core, old, "revoked")
    core.close()


def test_records_fit_their_cards(cg):
    from kiosk.domain.card_auth import AuthBinding
    from kiosk.domain.card_records import CardRecord, sign_record
    key = b"\x02" + bytes(32)
    record = CardRecord("ABCDEFGH23", "resident", bytes(10), 1795000000, "a-long-station-id-01",
                        auth=AuthBinding("cpu-ecc", public_key=key))
    assert len(frame(sign_record(record, cg.key), 256)) <= 256


def test_a_stations_key_file_cannot_authenticate_another_townships_card(cg, tmp_path, clock):
    from kiosk.adapters import desfire_io
    from kiosk.errors import CardIOError
    from kiosk.protocol.desfire import Ev2Failed
    xq = station(tmp_path, "xq-01", "xiqiao", clock)
    try:
        card = issue_virtual_card(xq, "resident", "r1", UID, "desfire")
        card.reset()
        assert desfire_io.select(card.respond)
        keys = desfire_io.card_keys(cg.card_access, UID, 1)  # chengguan's keys for this UID
        for key_no in (0, 1):
            with pytest.raises(Ev2Failed):
                desfire_io.authenticate(card.respond, key_no, keys[key_no])
        revoked = card.same_card()  # nor can chengguan issue it again
        with pytest.raises(CardIOError, match="another township"):
            issue_virtual_card(cg, "resident", "r1", UID, card=revoked)
    finally:
        xq.close()
