"""Finding N8: two desks shared one waiting card issuance.

The attack: desk one asked to issue a card for li; desk two asked for chen two seconds later,
which silently replaced desk one's request; li's blank card, placed on the reader, became
chen's and chen's own card was revoked. Now each desk session has at most one waiting card,
bound to its reader, and a second request for a reader that already waits is refused with a
message. Real desk sessions (two browsers, two technicians) on one desk reader.
"""

from __future__ import annotations

import pytest

from kiosk.domain.model import Resident
from kiosk.domain.outcomes import CardIssued, ResidentAtDesk
from kiosk.sim.virtual_card import VirtualCard
from kiosk.sim.wallet import issue_virtual_card
from tests.security.desk_browsers import Browser
from tests.web.desk_kiosk import DeskKiosk


def resident(core, resident_id: str, name: str) -> str:
    with core.uow() as uow:
        uow.residents.add(Resident(resident_id, name, "1980-05-01", "东湾村",
                                   consent_version="health-data-consent-v1"))
        uow.record("resident.registered", {"resident_id": resident_id})
        uow.commit()
    return resident_id


@pytest.fixture
def other_card(core):
    tech = core.staff.add("钱技术员", "135702")
    return issue_virtual_card(core, "technician", tech.id, bytes.fromhex("08AABBCD"), "mifare")


def test_n08_a_second_desk_cannot_take_the_first_desks_waiting_card(core, tech_card, other_card):
    desk = DeskKiosk(core)
    li, chen = resident(core, "res-li", "李秀兰"), resident(core, "res-chen", "陈美玲")
    chens_card = issue_virtual_card(core, "resident", chen, bytes.fromhex("04C4E11A"), "mifare")
    one, two = Browser(desk, "Desk one", "192.168.1.21"), Browser(desk, "Desk two", "192.168.1.22")
    assert one.login(desk, tech_card).status_code == 302
    one_csrf = desk.sessions.current().csrf  # the session just opened is the most recent
    desk.now.t += 1
    assert two.login(desk, other_card, "135702").status_code == 302
    two_csrf = desk.sessions.current().csrf
    asked = one.post(f"/staff/residents/{li}/issue", {"csrf": one_csrf})
    assert asked.status_code == 302
    desk.now.t += 2
    second = two.post(f"/staff/residents/{chen}/issue", {"csrf": two_csrf})
    assert second.status_code == 422, "desk two's request replaced desk one's"
    assert "Another desk is waiting for a card on this reader" in second.get_data(as_text=True)
    blank = VirtualCard(bytes.fromhex("04B1A4C0"), "mifare")  # li's new card, on the desk reader
    report = desk.tap(blank)
    assert isinstance(report.outcome, CardIssued) and report.outcome.holder_id == li
    assert not desk.events("card.revoked")
    seen = desk.tap(chens_card.copy_to(chens_card.uid))  # chen's card is still hers
    assert isinstance(seen.outcome, ResidentAtDesk) and seen.outcome.resident_id == chen
    # once desk one's card is done, desk two may ask
    again = two.post(f"/staff/residents/{chen}/issue", {"csrf": two_csrf})
    assert again.status_code == 302


def test_n08_one_waiting_card_per_desk(core, tech_card):
    desk = DeskKiosk(core)
    li, chen = resident(core, "res-li", "李秀兰"), resident(core, "res-chen", "陈美玲")
    one = Browser(desk, "Desk one", "192.168.1.21")
    assert one.login(desk, tech_card).status_code == 302
    csrf = desk.sessions.current().csrf
    assert one.post(f"/staff/residents/{li}/issue", {"csrf": csrf}).status_code == 302
    refused = one.post(f"/staff/residents/{chen}/issue", {"csrf": csrf})
    assert refused.status_code == 422
    assert "already waiting to be issued from this desk" in refused.get_data(as_text=True)
