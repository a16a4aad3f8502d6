"""cards.require_authenticated: a MIFARE Classic card gets the screen that asks her to exchange
it at the desk; the technician's "exchange" issues a card that proves itself and revokes the
old one in the same step; "my record" is not offered for an unverified visitor."""

from __future__ import annotations

import pytest

from kiosk.bootstrap import build_core
from kiosk.config.loader import load_config
from kiosk.domain.outcomes import CardIssued, CardRefused, CheckedIn
from kiosk.keys import generate_key_file
from kiosk.sim.virtual_card import VirtualCard
from kiosk.sim.wallet import issue_virtual_card, new_card
from kiosk.testing.cards import township_config
from tests.web.staff_kiosk import PIN, Kiosk, issue, register


@pytest.fixture
def station(tmp_path, clock):
    path = township_config(tmp_path / "cg", None, "cg-01", "chengguan")
    generate_key_file(load_config(path).station.key_file)
    core = build_core(load_config(path), clock=clock)
    tech = core.staff.add("赵技术员", PIN)
    tech_card = issue_virtual_card(core, "technician", tech.id, bytes.fromhex("08AABBCC"),
                                   "cpu-ecc")
    yield Kiosk(core), tech_card
    core.close()


def test_exchange_screen_and_the_exchange_flow(station):
    kiosk, tech_card = station
    kiosk.login(tech_card)
    resident_id = register(kiosk)
    old = VirtualCard(bytes.fromhex("04A1B2C3"), "mifare")
    issue(kiosk, resident_id, old)
    kiosk.core.desk.require_authenticated = True

    report = kiosk.tap(old.same_card())
    assert isinstance(report.outcome, CardRefused) and report.outcome.reason == "exchange"
    screen = kiosk.client.get("/").get_data(as_text=True)
    assert 'data-reason="exchange"' in screen and "请更换此卡" in screen

    kiosk.login(tech_card)
    page = kiosk.client.get(f"/staff/residents/{resident_id}").get_data(as_text=True)
    assert 'id="exchange-card"' in page
    response = kiosk.post(f"/staff/residents/{resident_id}/issue", reason="exchange")
    assert response.status_code == 302
    refused = kiosk.tap(VirtualCard(bytes.fromhex("04A1B2C4"), "mifare"))  # cannot prove itself
    assert refused.outcome.kind == "issue_failed"
    kiosk.post(f"/staff/residents/{resident_id}/issue", reason="exchange")
    new = new_card(bytes.fromhex("04C1C2C3C4C5C6"), "desfire")
    assert isinstance(kiosk.tap(new).outcome, CardIssued)
    revoked = kiosk.events("card.revoked")
    assert [e.payload["reason"] for e in revoked] == ["exchanged"]
    assert isinstance(kiosk.tap(new.same_card()).outcome, CheckedIn)
    again = kiosk.tap(old.same_card())
    assert isinstance(again.outcome, CardRefused) and again.outcome.reason == "revoked"


def test_my_record_is_not_offered_to_an_unverified_visitor(station):
    from dataclasses import replace

    from kiosk.web.screen import screen_html
    kiosk, tech_card = station
    kiosk.login(tech_card)
    resident_id = register(kiosk)
    card = new_card(bytes.fromhex("04C1C2C3C4C5C6"), "desfire")
    issue(kiosk, resident_id, card)
    report = kiosk.tap(card.same_card())
    assert isinstance(report.outcome, CheckedIn) and report.outcome.verified
    visitor = replace(report, outcome=replace(report.outcome, verified=False))
    with kiosk.client.application.test_request_context("/"):
        _, verified_html = screen_html(report, secrets=True)
        _, visitor_html = screen_html(visitor, secrets=True)
    assert 'id="my-record"' in verified_html and 'id="unverified-card"' not in verified_html
    assert 'id="my-record"' not in visitor_html and "外乡镇的卡" in visitor_html
