"""Cards that prove themselves, through the real pcscd and vpcd: a cpu-ecc and a desfire card
issued on a reader (personalised, written, read back, authenticated once), checked in, then
their perfect clones and replayers (recorded from a genuine tap through pcscd) refused as
not_authentic with a card.refused event; a record copied onto another authenticating card
refused as copied; an old key version re-keyed on the next tap."""

from __future__ import annotations

import pytest

from kiosk.adapters.pcsc_reader import PcscCardReader
from kiosk.bootstrap import build_core
from kiosk.config.loader import load_config
from kiosk.domain.card_auth import KeyProof
from kiosk.domain.model import ReadCard, Resident
from kiosk.domain.outcomes import CardRefused, CheckedIn
from kiosk.keys import generate_key_file
from kiosk.ports import CardTapped
from kiosk.sim.clones import Recorder, Replayer
from kiosk.sim.wallet import new_card
from kiosk.testing.cards import rekey_township, township_config
from kiosk.testing.station import TapDriver
from tests.pcsc.test_pcsc_reader import drain
from tests.pcsc.test_reader_contract import next_card_event, wait_ready

pytestmark = pytest.mark.pcsc
UID = bytes.fromhex("04A1B2C3D4E5F6")


class Rig:
    def __init__(self, harness, directory, clock):
        self.path = township_config(directory, harness, "cg-01", "chengguan")
        generate_key_file(load_config(self.path).station.key_file)
        self.harness, self.clock = harness, clock
        self.driver = TapDriver(harness)
        self.start()
        with self.core.uow() as uow:
            for rid, name in (("r1", "王秀华"), ("r2", "李四")):
                uow.residents.add(Resident(rid, name, consent_version="health-data-consent-v1"))
                uow.record("resident.registered", {"resident_id": rid})
            uow.commit()

    def start(self):
        self.core = build_core(load_config(self.path), clock=self.clock)
        self.reader = PcscCardReader(keys=self.core.card_access)
        self.reader.start()
        assert wait_ready(self.reader)
        drain(self.reader)

    def stop(self):
        self.reader.stop()
        self.core.close()

    def tap(self, card) -> CardTapped:
        self.driver.place(0, card)
        event = next_card_event(self.reader)
        assert isinstance(event, CardTapped), event
        return event

    def lift(self):
        self.driver.remove(0)

    def issue(self, holder, card):
        tap = self.tap(card)
        issued = self.core.desk.issue(
            "resident", holder, ReadCard(tap.uid, tap.kind, tap.record, tap.proof),
            lambda framed: self.reader.write_record(tap.reader, tap.uid, tap.kind, framed), "test",
            personalise=lambda: self.reader.personalise(tap.reader, tap.uid, tap.kind))
        self.lift()
        return issued

    def check_in(self, card):
        tap = self.tap(card)
        self.lift()
        return tap, self.core.checkins.handle_tap(ReadCard(tap.uid, tap.kind, tap.record, tap.proof))

    def refused(self, card, reason):
        _, outcome = self.check_in(card)
        assert isinstance(outcome, CardRefused) and outcome.reason == reason, outcome
        payload = self.core.db.execute("SELECT payload FROM events WHERE seq = ?",
                                       (outcome.event_seq,)).fetchone()[0]
        assert f'"reason":"{reason}"' in payload


@pytest.fixture
def rig(pcscd_running, tmp_path, clock):
    rig = Rig(pcscd_running, tmp_path / "cg", clock)
    yield rig
    rig.stop()
    rig.driver.close()


@pytest.mark.parametrize("kind", ["cpu-ecc", "desfire"])
def test_issue_check_in_and_refuse_clone_and_replayer(rig, kind):
    card = new_card(UID, kind)
    assert rig.issue("r1", card).kind == kind
    tap, outcome = rig.check_in(card.same_card())
    assert tap.kind == kind and tap.proof is not None
    assert isinstance(outcome, CheckedIn) and outcome.resident_id == "r1" and outcome.verified
    rig.refused(card.perfect_clone(), "not_authentic")
    recorder = Recorder(card.same_card())
    rig.check_in(recorder)  # a genuine tap, recorded by the attacker's sniffer
    rig.refused(Replayer(card.uid, card.atr, recorder.transcript), "not_authentic")


def test_a_record_copied_onto_another_authenticating_card_is_copied(rig):
    hers, mine = new_card(UID, "cpu-ecc"), new_card(bytes.fromhex("04998877665544"), "cpu-ecc")
    rig.issue("r1", hers)
    rig.issue("r2", mine)
    mine.memory[:256] = hers.memory[:256]
    rig.refused(mine, "copied")


def test_an_old_key_version_is_rekeyed_on_the_next_tap(rig):
    card = new_card(UID, "desfire", random_id=True)
    rig.issue("r1", card)
    rig.stop()
    rekey_township(rig.path.parent, "chengguan", 2)
    rig.start()
    tap, outcome = rig.check_in(card)
    assert tap.proof == KeyProof("chengguan", 1, rekeyed_to=2) and tap.uid == UID
    assert isinstance(outcome, CheckedIn)
    tap, outcome = rig.check_in(card)
    assert tap.proof == KeyProof("chengguan", 2) and isinstance(outcome, CheckedIn)
