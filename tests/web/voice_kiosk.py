"""The test driver with the station's own calling: bootstrap.build_calling (the espeak-ng voice,
the voice passes derived from the station key, the configured cache bound) on the fake-reader
driver of tests/web/staff_kiosk.py. Used by the voice-cache finding (N5) and the /display
sound test in Chromium."""

from __future__ import annotations

import json
import re
import threading

from kiosk.bootstrap import build_calling
from kiosk.sim.wallet import issue_virtual_card
from kiosk.station.services import StationServices
from kiosk.web import create_app
from tests.web.staff_kiosk import PIN, Kiosk, register


class VoiceKiosk(Kiosk):
    """The test driver with the station's own calling (real voice, passes, cache bound)."""

    def __init__(self, core, config):
        super().__init__(core)
        self.calling = build_calling(config, core, self.hub)
        app = create_app(self.hub, {"TIMEZONE": config.station.timezone},
                         services=StationServices(core, self.desk, self.hub, None, self.calling))
        app.testing = True
        self.client = app.test_client()

    def listen(self, path: str, calls: int = 1) -> tuple[threading.Thread, list[dict]]:
        """A page's stream on a thread of its own, keeping the first ``calls`` call events."""
        seen: list[dict] = []
        ready = threading.Event()

        def run():
            stream = self.client.application.test_client().get(path, buffered=False)
            ready.set()
            try:
                buffer = ""
                for chunk in stream.response:
                    buffer += chunk.decode()
                    while "\n\n" in buffer:
                        block, buffer = buffer.split("\n\n", 1)
                        if block.startswith("event: call"):
                            seen.append(json.loads(block.split("data: ", 1)[1]))
                    if len(seen) >= calls:
                        return
            finally:
                stream.close()
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        assert ready.wait(10)
        return thread, seen

    def display_path(self) -> str:
        """The stream a /display page opens (its token, where the page carries one)."""
        found = re.search(r'data-display="([^"]*)"', self.client.get("/display").get_data(as_text=True))
        return f"/events?display={found.group(1) if found else ''}"

    def call_next(self) -> str:
        """Call the next number; the voice URL /display was sent for it."""
        thread, seen = self.listen(self.display_path())
        response = self.client.post("/staff/queue/call-next", data={"csrf": self.csrf()},
                                    headers={"X-Kiosk-Fetch": "1"})
        assert response.status_code == 200, response.get_data(as_text=True)
        thread.join(10)
        return seen[0]["audio"]


def voice_station(core, config, residents=("王秀华", "李明")) -> VoiceKiosk:
    """The driver with the residents checked in (numbers 1, 2, ...) and a technician logged in."""
    kiosk = VoiceKiosk(core, config)
    tech = core.staff.add("赵技术员", PIN)
    kiosk.login(issue_virtual_card(core, "technician", tech.id, bytes.fromhex("08AABBCC"), "cpu"))
    cards = [issue_virtual_card(core, "resident", register(kiosk, name=name, national_id=""),
                                bytes([4, 0x10 + i, 2, 3]), "cpu") for i, name in enumerate(residents)]
    for card in cards:  # her tap ends the technician's session: register first, then check in
        kiosk.tap(card)
    kiosk.login(issue_virtual_card(core, "technician", tech.id, bytes.fromhex("08AABBCD"), "cpu"))
    return kiosk
