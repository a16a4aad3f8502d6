"""Browsers on the station's LAN for the desk findings (N1, N8, N9, N12): each with its own
cookies, user agent and address, against the desk app of tests/web/desk_kiosk.py, and what
each answer showed it."""

from __future__ import annotations

import json
import re

from tests.web.desk_kiosk import DESK, PIN, DeskKiosk

NAME = "赵技术员"  # the technician of the tech_card fixture


class Browser:
    """A browser on the LAN: its own cookies, its user agent, its address."""

    def __init__(self, desk: DeskKiosk, agent: str, address: str):
        self.client = desk.client.application.test_client()
        self.agent, self.address, self.seen = agent, address, []

    def get(self, path: str):
        response = self.client.get(path, base_url=DESK, headers={"User-Agent": self.agent},
                                   environ_base={"REMOTE_ADDR": self.address})
        self.seen.append(response.get_data(as_text=True))
        return response

    def post(self, path: str, data: dict):
        response = self.client.post(path, base_url=DESK, data=data,
                                    headers={"User-Agent": self.agent},
                                    environ_base={"REMOTE_ADDR": self.address})
        self.seen.append(response.get_data(as_text=True))
        return response

    def wait_page(self) -> str:
        page = self.get("/staff/desk/login").get_data(as_text=True)
        return page.split('data-wait="', 1)[1].split('"', 1)[0]

    def state(self, wait: str) -> dict:
        return json.loads(self.get(f"/staff/desk/login/{wait}").get_data(as_text=True))

    def pin(self, state: dict, pin: str):
        return self.post("/staff/desk/login", {"ticket": state["ticket"], "csrf": state["csrf"],
                                               "pin": pin})

    def got_anything(self) -> bool:
        """Whether any answer this browser saw held a PIN ticket or her name."""
        for body in self.seen:
            if body.startswith("{") and json.loads(body).get("ticket"):
                return True
            if NAME in body or re.search(r'id="desk-ticket" value="[^"]', body):
                return True
        return False

    def login(self, desk: DeskKiosk, card, pin: str = PIN):
        """Log in as the station asks: her page, her card on the desk reader (or, on a station
        without one, on the kiosk's, then her page's code typed on the kiosk screen), her PIN."""
        page = self.get("/staff/desk/login").get_data(as_text=True)
        wait = page.split('data-wait="', 1)[1].split('"', 1)[0]
        report = desk.tap(card, at_desk=desk.taps.reader_present)
        if report.login is not None and not desk.taps.reader_present:
            ticket, csrf = report.login
            code = re.search(r'id="desk-code">(\d+)<', page).group(1)  # type: ignore[union-attr]
            desk.kiosk_client.post("/staff/login/desk", data={"ticket": ticket, "csrf": csrf,
                                                             "code": code})
        state = self.state(wait)
        assert state["state"] == "chosen", state
        return self.pin(state, pin)
