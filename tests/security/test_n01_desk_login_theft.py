"""Finding N1: any LAN client that kept opening the desk's login page took the technician's tap.

The attack: a client polling ``GET /staff/desk/login`` made its page the newest waiting one, so
her next tap on the desk reader gave it her name and a PIN ticket with 5 guesses (4 taps block
her, at the kiosk too); on a station without a desk reader her tap at the kiosk went there as
well, so nobody could log in at the kiosk while such a page waited. Now a tap goes to the page
she is at (her own browser's page, a page whose code she typed at the kiosk, or the only page
waiting), pages never see her name before her PIN, few wait per address and not for long, and
a page she did not choose gets one guess (her own three). Real desk sessions throughout
(tests/web/desk_kiosk.py: the station loop, its readers and the desk app).
"""

from __future__ import annotations

import json

import pytest

from tests.security.desk_browsers import NAME, Browser
from tests.web.desk_kiosk import PIN, DeskKiosk


@pytest.fixture
def desk(core):
    return DeskKiosk(core)


def logged_in_once(desk: DeskKiosk, her: Browser, card) -> None:
    """Her first login at her PC (the only page waiting then), and her logout."""
    wait = her.wait_page()
    desk.tap(card)
    assert her.pin(her.state(wait), PIN).status_code == 302
    csrf = desk.sessions.current().csrf
    assert her.post("/staff/logout", {"csrf": csrf}).status_code == 302


def test_n01_a_polling_lan_client_gets_no_ticket_and_no_name_while_she_logs_in(desk, tech_card):
    her = Browser(desk, "Her desk PC", "192.168.1.20")
    logged_in_once(desk, her, tech_card)
    stranger = Browser(desk, "Stranger", "192.168.1.66")
    her_wait = her.wait_page()
    waits = [stranger.wait_page() for _ in range(5)]  # opened after hers: the newest pages
    desk.tap(tech_card)
    for wait in waits:
        assert stranger.state(wait)["state"] in ("waiting", "gone")
    chosen = her.state(her_wait)
    assert chosen["state"] == "chosen" and NAME not in json.dumps(chosen, ensure_ascii=False)
    assert NAME not in her.seen[-1]  # her page knows a card was tapped, not whose
    assert her.pin(chosen, PIN).status_code == 302
    assert desk.sessions.current() is not None
    assert not stranger.got_anything(), stranger.seen


def test_n01_the_kiosk_screen_logs_her_in_while_a_lan_page_waits(core, tech_card):
    desk = DeskKiosk(core, desk_reader=False)
    stranger = Browser(desk, "Stranger", "192.168.1.66")
    wait = stranger.wait_page()
    report = desk.tap(tech_card, at_desk=False)
    assert report.login is not None, "her tap at the kiosk went to the stranger's page"
    ticket, csrf = report.login
    response = desk.kiosk_client.post("/staff/login", data={"ticket": ticket, "csrf": csrf,
                                                            "pin": PIN})
    assert response.status_code == 302 and desk.staff.active
    assert stranger.state(wait)["state"] == "waiting"
    assert not stranger.got_anything()


def test_n01_a_page_she_did_not_choose_gets_one_guess(desk, tech_card):
    """She tapped her card on the desk reader while only a stranger's page waited."""
    stranger = Browser(desk, "Stranger", "192.168.1.66")
    wait = stranger.wait_page()
    desk.tap(tech_card)
    state = stranger.state(wait)
    assert state["state"] == "chosen" and "name" not in state
    assert stranger.pin(state, "000000").status_code == 403
    assert stranger.pin(state, "111111").status_code == 400  # the ticket is gone: tap again
    assert stranger.state(wait)["state"] == "gone"
    assert len(desk.events("desk.pin_failed")) == 1


def test_n01_her_own_page_gets_three(desk, tech_card):
    her = Browser(desk, "Her desk PC", "192.168.1.20")
    logged_in_once(desk, her, tech_card)
    Browser(desk, "Stranger", "192.168.1.66").wait_page()  # so her page is not the only one
    wait = her.wait_page()
    desk.tap(tech_card)
    state = her.state(wait)
    for pin in ("000000", "111111", "222222"):
        assert her.pin(state, pin).status_code == 403
    assert her.pin(state, PIN).status_code == 400  # three guesses, then a new tap
    assert len(desk.events("desk.pin_failed")) == 3


def test_n01_few_pages_wait_per_address_and_not_for_long(desk):
    stranger = Browser(desk, "Stranger", "192.168.1.66")
    waits = [stranger.wait_page() for _ in range(10)]
    assert sum(stranger.state(w)["state"] == "waiting" for w in waits) <= 2
    desk.now.t += 181  # three minutes
    assert all(stranger.state(w)["state"] == "gone" for w in waits[-2:])
