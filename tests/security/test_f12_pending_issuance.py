"""Finding 12: a pending card issuance ends with the technician session that asked for it.

The attack: a technician asks for a card for a resident and logs out (or walks away); a
stranger's blank card tapped within the minute was issued to that resident and her real card
revoked. Now the request dies with the session, and the card is written only while it lives.
"""

from __future__ import annotations

from kiosk.domain.outcomes import CardIssued, CheckedIn
from kiosk.sim.virtual_card import VirtualCard
from tests.web.test_staff_web import Kiosk, issue, register


def _her_card_and_a_pending_reissue(kiosk, tech_card):
    kiosk.login(tech_card)
    resident_id = register(kiosk)
    her_card = VirtualCard(bytes.fromhex("04A1B2C3"), "cpu")
    issue(kiosk, resident_id, her_card)
    kiosk.login(tech_card)
    response = kiosk.post(f"/staff/residents/{resident_id}/issue", reason="reissue")
    assert response.status_code == 302
    return resident_id, her_card, response.headers["Location"]


def _stranger_tap_issues_nothing(kiosk, her_card, status_url):
    stranger = VirtualCard(bytes.fromhex("04DEAD99"), "mifare")
    report = kiosk.tap(stranger)
    assert not isinstance(report.outcome, CardIssued)
    assert stranger.memory == VirtualCard(stranger.uid, "mifare").memory  # nothing written
    assert len(kiosk.events("card.issued")) == 2  # the technician's card and hers, nothing more
    assert not [e for e in kiosk.events("card.revoked")]
    assert isinstance(kiosk.tap(her_card).outcome, CheckedIn)  # her real card still works


def test_f12_pending_issuance_ends_with_logout(kiosk, tech_card):
    _resident, her_card, status_url = _her_card_and_a_pending_reissue(kiosk, tech_card)
    kiosk.post("/staff/logout")
    assert kiosk.desk.pending_issue() is None
    _stranger_tap_issues_nothing(kiosk, her_card, status_url)


def test_f12_pending_issuance_ends_when_the_session_idles(core, tech_card):
    now = [1000.0]
    kiosk = Kiosk(core, desk_clock=lambda: now[0])
    _resident, her_card, status_url = _her_card_and_a_pending_reissue(kiosk, tech_card)
    now[0] += 121  # the technician walked away: the session is idle, the minute not yet over
    assert kiosk.desk.pending_issue() is None
    _stranger_tap_issues_nothing(kiosk, her_card, status_url)


def test_f12_card_is_not_written_when_the_session_ends_during_the_write(kiosk, tech_card):
    """The session ends between the tap being routed and the record being written."""
    _resident, her_card, status_url = _her_card_and_a_pending_reissue(kiosk, tech_card)
    request = kiosk.desk.pending_issue()
    assert request is not None
    stranger = VirtualCard(bytes.fromhex("04DEAD98"), "mifare")
    kiosk.reader.tap_card(stranger)
    tap = kiosk.reader.next_event(1)
    kiosk.desk.end_session()
    report = kiosk.station._issue(tap, request)
    assert report.outcome.kind == "issue_failed"
    assert request.status == "failed"
    assert len(kiosk.events("card.issued")) == 2
    assert isinstance(kiosk.tap(her_card).outcome, CheckedIn)


def test_f12_status_page_says_the_session_ended(kiosk, tech_card):
    _resident, _her_card, status_url = _her_card_and_a_pending_reissue(kiosk, tech_card)
    request = kiosk.desk.pending_issue()
    kiosk.desk.open_session("someone-else", "李技术员")  # a new session replaces the one that asked
    assert kiosk.desk.pending_issue() is None
    assert request.status == "failed" and "session" in request.message
