"""The technician desk's pages and sessions, in process (tests/web/desk_kiosk.py): login by a
card on the desk reader and the PIN on her PC, the session's cookie, CSRF, idling out, the
session limit, and what desk-reader taps do (never a check-in, never the public screen)."""

from __future__ import annotations

import pytest

from kiosk.domain.outcomes import ResidentAtDesk
from kiosk.sim.virtual_card import VirtualCard
from kiosk.sim.wallet import issue_virtual_card
from tests.web.desk_kiosk import BROWSER, PIN, DeskKiosk
from tests.web.staff_kiosk import register


@pytest.fixture
def desk(core):
    return DeskKiosk(core)


@pytest.fixture
def other_card(core):
    tech = core.staff.add("钱技术员", "135702")
    return issue_virtual_card(core, "technician", tech.id, bytes.fromhex("08AABBCD"), "mifare")


def logged_in(desk, tech_card) -> DeskKiosk:
    response = desk.login(tech_card)
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/")
    return desk


def test_without_a_session_every_desk_page_is_the_login_page(desk):
    for path in ("/", "/staff/", "/staff/residents", "/staff/login"):
        response = desk.get(path, follow_redirects=True)
        assert response.status_code == 200
        assert 'id="desk-login"' in response.get_data(as_text=True), path
    # the public screen, her own record view and the demo are not served to the LAN at all
    for path in ("/events", "/me/x", "/demo/", "/display", "/healthz"):
        assert desk.get(path).status_code == 404, path


def test_login_by_desk_card_and_pin_sets_a_secure_strict_cookie(desk, tech_card):
    response = desk.login(tech_card)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("kiosk_desk=")
    for flag in ("Secure", "HttpOnly", "SameSite=Strict"):
        assert flag in cookie
    page = desk.get("/staff/").get_data(as_text=True)
    assert 'id="desk-fingerprint"' in page and "AB:CD" in page
    login = desk.events("desk.login")[-1]
    assert desk.kept(login.seq)["desk"]["value"] == {"address": "127.0.0.1", "user_agent": BROWSER}
    assert not desk.events("staff.login")  # the kiosk's own login is a different event
    assert not desk.hub.recent_tap(60)  # the desk reader's tap never reached the public screen
    assert desk.desk_reports[-1].at_desk


def test_every_technician_page_works_at_the_desk(desk, tech_card):
    logged_in(desk, tech_card)
    for path in ("/staff/", "/staff/residents", "/staff/residents/new",  # queue: no caller here
                 "/staff/lists/due", "/staff/lists/overdue", "/staff/lists/week"):
        response = desk.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert 'data-desk="1"' in page and "desk.js" in page, path
        assert 'EventSource' not in page  # the public screen's stream is not on the LAN


def test_with_two_pages_waiting_a_desk_reader_tap_goes_to_neither(desk, tech_card):
    """Neither page is hers yet (no browser of hers): the code typed at the kiosk chooses."""
    first, second = desk.wait_page("Browser A"), desk.wait_page("Browser B", "127.0.0.2")
    desk.tap(tech_card)
    assert desk.wait_state(first, "Browser A") == {"state": "waiting"}
    assert desk.wait_state(second, "Browser B", "127.0.0.2") == {"state": "waiting"}
    page = desk.kiosk_code(tech_card, desk.wait_code(first))
    assert page.status_code == 200 and 'id="continue-at-desk"' in page.get_data(as_text=True)
    chosen = desk.wait_state(first, "Browser A")
    assert chosen["state"] == "chosen" and chosen["ticket"] and "name" not in chosen
    assert desk.wait_state(second, "Browser B", "127.0.0.2") == {"state": "waiting"}


def test_a_post_without_the_csrf_token_is_refused(desk, tech_card):
    logged_in(desk, tech_card)
    assert desk.post("/staff/residents/new", {"name": "王秀华"}).status_code == 400
    assert desk.post("/staff/logout", {"csrf": "wrong"}).status_code == 400
    assert desk.post("/staff/logout", {"csrf": desk.csrf()}).status_code == 302
    assert desk.events("desk.logout")[-1].payload["reason"] == "button"


def test_the_session_answers_only_to_the_browser_that_opened_it(desk, tech_card):
    logged_in(desk, tech_card)
    assert desk.get("/staff/").status_code == 200
    response = desk.get("/staff/", browser="Another browser")
    assert response.status_code == 302 and "/staff/desk/login" in response.headers["Location"]


def test_a_desk_session_idles_out(core, tech_card):
    desk = logged_in(DeskKiosk(core, idle_seconds=60), tech_card)
    desk.now.t += 30
    assert desk.get("/staff/").status_code == 200  # a request is activity
    desk.now.t += 61
    desk.station._end_idle_session()  # the station loop's beat
    assert desk.events("desk.logout")[-1].payload["reason"] == "idle"
    response = desk.get("/staff/")
    assert response.status_code == 302 and "/staff/desk/login" in response.headers["Location"]


def test_a_session_ends_after_twelve_hours_even_when_busy(desk, tech_card):
    logged_in(desk, tech_card)
    for _ in range(13):
        desk.now.t += 3600
        desk.sessions.current() and desk.get("/staff/")
    assert desk.get("/staff/").status_code == 302


def test_at_most_the_configured_desk_sessions(core, tech_card, other_card):
    desk = logged_in(DeskKiosk(core, sessions=1), tech_card)
    response = desk.login(other_card, "135702", browser="Second desk")
    assert response.status_code == 403
    refused = desk.events("desk.login_refused")[-1]
    assert refused.payload["reason"] == "sessions_full"
    assert desk.kept(refused.seq)["desk"]["value"]["user_agent"] == "Second desk"


def test_her_own_card_logs_her_out_another_technicians_only_says_so(desk, tech_card, other_card):
    logged_in(desk, tech_card)
    seq = desk.sessions.last_seq()
    desk.tap(other_card)
    notice = desk.messages(seq)[-1]
    assert notice["kind"] == "notice" and "not yours" in notice["message"]
    assert desk.sessions.current() is not None
    desk.tap(tech_card)
    assert desk.sessions.current() is None
    logout = desk.events("desk.logout")[-1]
    assert logout.payload["reason"] == "technician_card"
    assert desk.kept(logout.seq)["desk"]["value"]["address"] == "127.0.0.1"
    assert desk.get("/staff/desk/next?after=0").get_json()["ended"] is True


def test_a_residents_card_on_the_desk_reader_opens_her_record_there(desk, tech_card):
    logged_in(desk, tech_card)
    resident = register(_KioskPoster(desk))
    blank = VirtualCard(bytes.fromhex("04C0FFEE"), "mifare")
    response = desk.post(f"/staff/residents/{resident}/issue", {"csrf": desk.csrf()})
    assert response.status_code == 302
    issued = desk.tap(blank)
    assert issued.outcome.kind == "card_issued" and issued.at_desk
    checkins_before = len(desk.events("checkin.created"))
    seq = desk.sessions.last_seq()
    report = desk.tap(blank.copy_to(blank.uid))
    assert isinstance(report.outcome, ResidentAtDesk) and report.at_desk
    message = desk.messages(seq)[-1]
    assert message == {"kind": "record", "url": f"/staff/residents/{resident}", "seq": seq + 1}
    assert desk.get(message["url"]).status_code == 200
    assert desk.events("record.viewed")[-1].payload["resident_id"] == resident
    assert len(desk.events("checkin.created")) == checkins_before  # nobody was checked in
    assert desk.hub.recent_tap(60) is None  # and the public screen heard nothing


def test_without_a_desk_reader_the_kiosk_screen_takes_the_desk_pages_code(core, tech_card):
    desk = DeskKiosk(core, desk_reader=False)
    wait = desk.wait_page()
    report = desk.tap(tech_card, at_desk=False)
    assert report.login is not None  # the kiosk's own PIN form, never a desk page by itself
    assert desk.wait_state(wait)["state"] == "waiting"
    from kiosk.web.screen import screen_html
    with desk.kiosk_client.application.test_request_context("/"):
        name, html = screen_html(report, secrets=True)
        assert name == "pin_entry" and 'id="to-desk"' in html  # "log in at a desk PC instead"
        assert 'id="to-desk"' not in screen_html(report, secrets=False)[1]
    page = desk.kiosk_code(tech_card, "0000" if desk.wait_code(wait) != "0000" else "1111")
    assert page.status_code == 403 and desk.wait_state(wait)["state"] == "waiting"
    page = desk.kiosk_code(tech_card, desk.wait_code(wait))
    assert "赵技术员" not in page.get_data(as_text=True)
    state = desk.wait_state(wait)
    assert state["state"] == "chosen"
    response = desk.post("/staff/desk/login", {"ticket": state["ticket"], "csrf": state["csrf"],
                                               "pin": PIN})
    assert response.status_code == 302 and desk.sessions.current() is not None


def test_wrong_pins_at_the_desk_count_with_the_kiosks(desk, tech_card):
    for attempt in range(5):
        response = desk.login(tech_card, "000000")
        assert response.status_code == 403, attempt
    assert desk.events("desk.pin_failed")[-1].payload["locked_until"]
    technician = core_technician(desk)
    assert technician.locked_until  # the one counter, in the database
    response = desk.login(tech_card, PIN)
    assert response.status_code == 403
    assert desk.events("desk.login_refused")[-1].payload["reason"] == "locked"


def core_technician(desk):
    with desk.core.uow() as uow:
        return uow.technicians.get(desk.events("desk.pin_failed")[-1].payload["technician_id"])


def test_the_desk_events_keep_the_desk_at_the_station(desk, tech_card):
    """The county gets who logged in and why; the desk's address and browser stay here."""
    logged_in(desk, tech_card)
    from kiosk.domain.disclosure import COMMITMENT
    event = desk.events("desk.login")[-1]
    assert set(event.payload["desk"]) == {COMMITMENT}
    assert event.payload["technician_id"]


class _KioskPoster:
    """tests.web.staff_kiosk.register posts through ``post(path, **data)`` with the CSRF."""

    def __init__(self, desk: DeskKiosk):
        self.desk = desk

    def post(self, path: str, **data):
        return self.desk.post(path, {"csrf": self.desk.csrf(), **data})
