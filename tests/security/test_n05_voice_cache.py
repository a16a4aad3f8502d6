"""Finding N5 (security round 2): a stranger could fill the voice cache.

The attack: ``GET /voice/<n>/<room>.wav`` needed no login; every new number was rendered with
espeak-ng and kept (about 593 KiB each), never pruned: numbers up to 99,999 came to 56.6 GiB
per room. Now a voice URL carries a pass the station mints when it announces a call (a MAC
over the day, the number and the room) and sends only to the kiosk's own page and /display;
the number must also be in today's queue; and the cache is bounded (``queue.voice_cache_mb``)
and pruned by age. Built with the station's own wiring (bootstrap.build_calling: espeak-ng,
the pass key derived from the station key, the configured bound).
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from kiosk.bootstrap import build_calling
from kiosk.sim.wallet import issue_virtual_card
from kiosk.station.services import StationServices
from kiosk.web import create_app
from tests.web.staff_kiosk import PIN, Kiosk, register

ATTEMPTS = 10_000


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


@pytest.fixture
def station(core, config):
    kiosk = VoiceKiosk(core, config)
    tech = core.staff.add("赵技术员", PIN)
    kiosk.login(issue_virtual_card(core, "technician", tech.id, bytes.fromhex("08AABBCC"), "cpu"))
    cards = [issue_virtual_card(core, "resident", register(kiosk, name=name, national_id=""),
                                bytes([4, 0x10 + i, 2, 3]), "cpu") for i, name in enumerate(("王秀华", "李明"))]
    for card in cards:  # her tap ends the technician's session: register first, then check in
        kiosk.tap(card)
    kiosk.login(issue_virtual_card(core, "technician", tech.id, bytes.fromhex("08AABBCD"), "cpu"))
    return kiosk


def disk(directory: Path) -> dict[str, int]:
    return {str(p): p.stat().st_size for p in directory.rglob("*") if p.is_file()}


def test_n05_strangers_requests_add_nothing_to_the_disk(station, config):
    url = station.call_next()  # number 1, to room1
    assert station.client.get(url).status_code == 200  # the call itself is spoken: one file
    voice_dir = config.station.data_dir / "voice"
    assert len(list(voice_dir.glob("*.wav"))) == 1
    before = disk(config.station.data_dir)
    real_pass = parse_qs(urlsplit(url).query).get("k", ["none"])[0]
    stranger = station.client.application.test_client()
    for i in range(ATTEMPTS):
        number = 2 + i  # 2 was issued today but never called; the rest never issued
        path = (f"/voice/{number}/room1.wav", f"/voice/{number}/room1.wav?k={real_pass}",
                f"/voice/{number}/room1.wav?k={real_pass[:-2]}AA", f"/voice/1/room1.wav")[i % 4]
        status = stranger.get(path).status_code
        if i in (0, 9, 99) or i % 1000 == 999:  # an old station fails at the first check
            assert disk(config.station.data_dir) == before, f"{path} wrote to the disk"
        assert status == 404, (path, status)
    assert stranger.get(url).status_code == 200  # the pass works for whoever holds it...
    assert disk(config.station.data_dir) == before  # ...from the cache


def test_n05_a_pass_dies_with_the_day(station, config, clock):
    url = station.call_next()
    before = disk(config.station.data_dir)
    clock.advance(days=1)
    assert station.client.get(url).status_code == 404
    assert disk(config.station.data_dir) == before


def test_n05_only_the_speaking_screens_get_the_voice_url(station):
    """/display's stream (and the kiosk's own page) gets the call with its voice URL; any other
    stream gets the call without one."""
    listening = {name: station.listen(path) for name, path in (
        ("plain", "/events"), ("forged", "/events?display=guessed"), ("page", "/events?page=x"))}
    url = station.call_next()
    assert url.startswith("/voice/1/room1.wav?k=")
    for name, (thread, seen) in listening.items():
        thread.join(10)
        assert seen[0]["queue_no"] == 1 and seen[0]["audio"] == "", name
