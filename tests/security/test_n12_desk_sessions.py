"""Finding N12: a desk session was bound only to its browser's User-Agent string.

The attack: a desk session cookie, copied to another machine on the LAN with the same
User-Agent, was the technician's session there. Now a session also answers only to the
address that opened it; a desk whose address changes (a new DHCP lease; a renewal keeps the
address) logs in again, and her card's next tap still finds her page (its desk cookie).
"""

from __future__ import annotations

from tests.security.desk_browsers import Browser
from tests.web.desk_kiosk import DESK, DeskKiosk


def test_n12_a_copied_session_cookie_does_not_work_from_another_address(core, tech_card):
    desk = DeskKiosk(core)
    her = Browser(desk, "Mozilla/5.0 (her desk)", "192.168.1.20")
    assert her.login(desk, tech_card).status_code == 302
    token = desk.sessions.current().token
    thief = Browser(desk, "Mozilla/5.0 (her desk)", "192.168.1.66")  # her user agent, copied
    thief.client.set_cookie("kiosk_desk", token, domain=DESK.split("//")[1])
    response = thief.get("/staff/residents")
    assert response.status_code == 302 and "/staff/desk/login" in response.headers["Location"]
    assert thief.get("/staff/desk/next?after=0").get_json()["ended"] is True
    assert her.get("/staff/residents").status_code == 200  # hers still works, idle and
    assert desk.sessions.current() is not None  # absolute limits as before


def test_n12_a_new_address_means_logging_in_again(core, tech_card):
    desk = DeskKiosk(core)
    her = Browser(desk, "Mozilla/5.0 (her desk)", "192.168.1.20")
    assert her.login(desk, tech_card).status_code == 302
    her.address = "192.168.1.30"  # a new DHCP lease
    assert her.get("/staff/").status_code == 302
    assert her.login(desk, tech_card).status_code == 302  # her own page gets her tap again
