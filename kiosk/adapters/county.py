"""The county link: HTTP push of signed events (issue 5 adds the full protocol) and a fake."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import urlsplit

from kiosk.domain.events import Event
from kiosk.ports import Ack


class FakeCountyLink:
    """Keeps what was pushed; acknowledges the highest event."""

    def __init__(self) -> None:
        self.received: list[Event] = []

    def push(self, station_id: str, events: list[Event]) -> Ack:
        seen = {e.seq for e in self.received}
        self.received.extend(e for e in events if e.seq not in seen)
        last = max(self.received, key=lambda e: e.seq)
        return Ack(station_id, last.seq, last.hash, last.wall_time)


class HttpCountyLink:
    """POST /api/v1/stations/{id}/events; HTTPS, or plain HTTP to loopback only."""

    def __init__(self, base_url: str, timeout: float = 20.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "https" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("county.url must use https:// (plain http only to loopback)")
        self.base_url, self.timeout = base_url.rstrip("/"), timeout

    def push(self, station_id: str, events: list[Event]) -> Ack:
        body = json.dumps({"events": [vars(e) for e in events]}, ensure_ascii=False).encode()
        request = urllib.request.Request(
            f"{self.base_url}/api/v1/stations/{station_id}/events", data=body, method="POST",
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            data = json.load(response)
        return Ack(data["station_id"], data["seq"], data["hash"], data["county_time"])
