"""Finding 13: the screen stream handed secrets to every subscriber.

The attack: any local process opened `/events` (or `/`) and received each technician's login
ticket and form token and each resident's "my record" link. Now a tap's secrets reach only
the kiosk's own page (its browser's cookie and the per-page token the server issued to that
page), never a broadcast, and the number of streams is capped.
"""

from __future__ import annotations

import re
import threading

from kiosk.domain.outcomes import CheckedIn, TechnicianCard
from kiosk.sim.virtual_card import VirtualCard
from kiosk.station.screen_pages import MAX_SUBSCRIBERS
from tests.web.test_staff_web import issue, register
from tests.web.test_web import read_events


def page_token(client, url: str = "/") -> str:
    return re.search(r'data-page="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


def launch(kiosk) -> str:
    """The kiosk's browser opens its first page with the launch token (kiosk-browser.service)."""
    return page_token(kiosk.client, f"/?screen={kiosk.hub.pages.launch_token}")


class Streams:
    """Pages listening on /events, each on a thread of its own as a server would run it (a
    streamed response keeps its request context on its thread)."""

    def __init__(self, wanted: dict) -> None:
        self.seen: dict[str, str] = {}
        self.threads = []
        for name, (client, url) in wanted.items():
            ready = threading.Event()
            thread = threading.Thread(target=self._listen, args=(name, client, url, ready))
            thread.start()
            assert ready.wait(10)  # subscribed
            self.threads.append(thread)

    def _listen(self, name, client, url, ready) -> None:
        stream = client.get(url, buffered=False)
        ready.set()
        try:
            self.seen[name] = read_events(stream, 2)[1]
        finally:
            stream.close()

    def screens(self) -> dict[str, str]:
        for thread in self.threads:
            thread.join(10)
        return self.seen


def open_streams(kiosk):
    """The kiosk's own page (it opened first), and an attacker's three ways in."""
    own = kiosk.client  # the kiosk's browser
    own_page = launch(kiosk)
    attacker = kiosk.client.application.test_client()
    streams = Streams({"own": (own, f"/events?page={own_page}"),
                       "no_page": (attacker, "/events"),
                       "own_page": (attacker, f"/events?page={page_token(attacker)}"),
                       "stolen_page": (attacker, f"/events?page={own_page}")})
    return streams, attacker


def test_f13_login_ticket_and_csrf_reach_only_the_kiosk_page(kiosk, tech_card):
    streams, attacker = open_streams(kiosk)
    report = kiosk.tap(tech_card)
    assert isinstance(report.outcome, TechnicianCard)
    ticket, csrf = report.login
    seen = streams.screens()
    assert ticket in seen["own"] and csrf in seen["own"]
    for name in ("no_page", "own_page", "stolen_page"):
        assert '"screen": "pin_entry"' in seen[name]
        assert ticket not in seen[name] and csrf not in seen[name], name
    page = attacker.get("/").get_data(as_text=True)  # the tap is still on the screen
    assert 'data-screen="pin_entry"' in page and ticket not in page and csrf not in page
    assert ticket in kiosk.client.get("/").get_data(as_text=True)  # the kiosk's browser reloads
    wrong = attacker.get("/?screen=guessed").get_data(as_text=True)
    assert ticket not in wrong and csrf not in wrong


def test_f13_my_record_link_reaches_only_the_kiosk_page(kiosk, tech_card):
    kiosk.login(tech_card)
    card = VirtualCard(bytes.fromhex("04A1B2C3"), "cpu")
    issue(kiosk, register(kiosk), card)
    streams, attacker = open_streams(kiosk)
    report = kiosk.tap(card)
    assert isinstance(report.outcome, CheckedIn)
    seen = streams.screens()
    link = re.search(r'/me/([A-Za-z0-9_-]+)', seen["own"]).group(1)
    for name in ("no_page", "own_page", "stolen_page"):
        assert '"screen": "checked_in"' in seen[name] and "/me/" not in seen[name], name
    assert "/me/" not in attacker.get("/").get_data(as_text=True)
    assert attacker.get(f"/me/{link}").status_code == 200  # the link works, for who has it


def test_f13_only_the_newest_kiosk_page_holds_secrets(kiosk, tech_card):
    old_page = launch(kiosk)
    page_token(kiosk.client)  # the kiosk browser moved on (a technician page and back)
    streams = Streams({"old": (kiosk.client, f"/events?page={old_page}")})
    ticket, _csrf = kiosk.tap(tech_card).login
    assert ticket not in streams.screens()["old"]


def test_f13_stream_subscribers_are_capped_but_the_kiosk_page_gets_in(kiosk):
    own_page = launch(kiosk)
    attacker = kiosk.client.application.test_client()
    held = [attacker.get("/events", buffered=False) for _ in range(MAX_SUBSCRIBERS)]
    refused = attacker.get("/events", buffered=False)
    assert refused.status_code == 503 and refused.headers["Retry-After"]
    own = kiosk.client.get(f"/events?page={own_page}", buffered=False)
    assert own.status_code == 200
    for stream in reversed([*held, own]):  # last opened first: the contexts are a stack
        stream.close()
    again = attacker.get("/events", buffered=False)
    assert again.status_code == 200
    again.close()
