"""Finding N9: on a one-reader station, a card issuance asked at the desk took the kiosk's
reader for a minute.

The attack: the desk asked for li's new card; for the next 60 s every card on the kiosk's (only)
reader was taken as that card: a resident's own tap failed, and a stranger's blank card became
li's. Now an issuance from the desk waits for the technician at the kiosk: the kiosk's reader
stays the residents' until she taps her own technician card there; the kiosk screen then shows
whose card it will be (masked), and a resident's issued card still checks in. Real desk
sessions on a station without a desk reader.
"""

from __future__ import annotations

from kiosk.domain.outcomes import CardIssued, CheckedIn, UnknownCard
from kiosk.sim.virtual_card import VirtualCard
from kiosk.sim.wallet import issue_virtual_card
from tests.security.desk_browsers import Browser
from tests.security.test_n08_two_desks_one_issuance import resident
from tests.web.desk_kiosk import DeskKiosk


def test_n09_the_desk_takes_the_kiosk_reader_only_once_she_is_at_the_kiosk(core, tech_card):
    desk = DeskKiosk(core, desk_reader=False)
    li, chen = resident(core, "res-li", "李秀兰"), resident(core, "res-chen", "陈美玲")
    chens_card = issue_virtual_card(core, "resident", chen, bytes.fromhex("04C4E11A"), "mifare")
    her = Browser(desk, "Her desk PC", "192.168.1.20")
    assert her.login(desk, tech_card).status_code == 302
    asked = her.post(f"/staff/residents/{li}/issue", {"csrf": desk.sessions.current().csrf})
    assert asked.status_code == 302

    tapped = desk.tap(chens_card.copy_to(chens_card.uid), at_desk=False)
    assert isinstance(tapped.outcome, CheckedIn), "a resident's own tap was taken for li's card"
    status = her.get(asked.headers["Location"]).get_data(as_text=True)
    assert 'id="issue-go-to-kiosk"' in status  # her desk says: go to the kiosk, tap your card
    stranger = VirtualCard(bytes.fromhex("04DEAD77"), "mifare")
    assert isinstance(desk.tap(stranger, at_desk=False).outcome, UnknownCard)
    assert stranger.memory == VirtualCard(stranger.uid, "mifare").memory  # nothing written

    at_kiosk = desk.tap(tech_card, at_desk=False)  # she walked to the kiosk
    assert at_kiosk.issue_for == "李*兰" and at_kiosk.login is None
    from kiosk.web.screen import screen_html
    with desk.kiosk_client.application.test_request_context("/"):
        name, html = screen_html(at_kiosk, secrets=False)
    assert name == "issue_at_kiosk" and "李*兰" in html and "李秀兰" not in html
    again = desk.tap(chens_card.copy_to(chens_card.uid), at_desk=False)
    assert isinstance(again.outcome, CheckedIn)  # an issued card still checks in meanwhile
    blank = VirtualCard(bytes.fromhex("04B1A4C0"), "mifare")
    issued = desk.tap(blank, at_desk=False)
    assert isinstance(issued.outcome, CardIssued) and issued.outcome.holder_id == li
    assert not desk.events("card.revoked")
