"""Two townships through the real pcscd and a real county: xiqiao's card at a chengguan station
is authenticated through the county when it is up (the county derives the card's key; the
station never holds it), and is an unverified visitor ("my record" not offered) when it is
down; its perfect clone is refused through the relay too. The taps go through the station's
own loop, which also looks her up at the county as a visitor from another station."""

from __future__ import annotations

import pytest

from kiosk.adapters.pcsc_reader import PcscCardReader
from kiosk.adapters.signals import RecordingSignals
from kiosk.bootstrap import build_core, build_visitors
from kiosk.config.loader import load_config
from kiosk.domain.card_auth import KeyProof, NotChecked
from kiosk.domain.outcomes import CardRefused, CheckedIn
from kiosk.domain.registry import Registration
from kiosk.keys import generate_key_file
from kiosk.ports import CardTapped
from kiosk.sim.wallet import issue_virtual_card
from kiosk.station.loop import Station
from kiosk.testing.cards import township_config
from kiosk.testing.county_relay import CountyForStations
from kiosk.testing.station import TapDriver
from tests.pcsc.test_pcsc_reader import drain
from tests.pcsc.test_reader_contract import next_card_event, wait_ready

pytestmark = pytest.mark.pcsc


@pytest.fixture
def townships(pcscd_running, tmp_path, clock):
    county = CountyForStations(tmp_path / "county")
    path_a = township_config(tmp_path / "cg", pcscd_running, "cg-01", "chengguan",
                             extra=county.station_config())
    path_b = township_config(tmp_path / "xq", None, "xq-01", "xiqiao",
                             extra=county.station_config())
    for path in (path_a, path_b):
        generate_key_file(load_config(path).station.key_file)
        county.enrol(path)
    b = build_core(load_config(path_b), clock=clock)
    her = b.registry.register(Registration("王秀华", "1994-03-12", "西桥村", consent=True), by="t")
    card = issue_virtual_card(b, "resident", her.id, bytes.fromhex("04A1B2C3D4E5F6"), "desfire")
    b.close()
    county.start()
    county.share_roster(path_b, path_a)
    a = build_core(load_config(path_a), clock=clock)
    reader, driver = PcscCardReader(keys=a.card_access), TapDriver(pcscd_running)
    station = Station(a.checkins, reader, None, RecordingSignals(), cards=a.desk,
                      visitors=build_visitors(load_config(path_a), a))
    reader.start()
    assert wait_ready(reader)
    drain(reader)
    yield a, station, reader, driver, county, card
    reader.stop()
    driver.close()
    a.close()
    county.stop()


def tap(station, reader, driver, card):
    driver.place(0, card)
    event = next_card_event(reader)
    driver.remove(0)
    assert isinstance(event, CardTapped), event
    return event, station.handle(event).outcome


def test_another_townships_card_through_the_county_then_offline(townships):
    a, station, reader, driver, county, card = townships
    assert a.card_access.keyring.township == "chengguan"  # no key of xiqiao here
    event, outcome = tap(station, reader, driver, card.same_card())
    assert event.proof == KeyProof("xiqiao", 1, relayed=True)
    assert isinstance(outcome, CheckedIn) and outcome.verified
    event, outcome = tap(station, reader, driver, card.perfect_clone())
    assert isinstance(outcome, CardRefused) and outcome.reason == "not_authentic"
    assert "cg-01, a card of xiqiao (key version 1): authenticated" in county.log()
    log = county.log()  # the clone got as far as "begun": it could not answer the county
    assert log.count(": begun") == 2 and log.count(": authenticated") == 1
    assert "04A1B2" not in log.upper()  # no UID in the county's log

    county.stop()
    event, outcome = tap(station, reader, driver, card.same_card())
    assert event.proof == NotChecked("offline")
    assert isinstance(outcome, CheckedIn) and not outcome.verified and outcome.repeat
