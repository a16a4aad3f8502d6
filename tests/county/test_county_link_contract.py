"""The county-link port: one contract run against the fake county and the real HTTP link
(over loopback)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.adapters.county import HttpCountyLink
from kiosk.keys import StationKey
from kiosk.sim.county import FakeCountyLink
from tests.unit.test_events import make_chain


class CountyHandler(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        CountyHandler.received.append((self.path, body))
        last = body["events"][-1]
        self._reply({"station_id": last["station_id"], "seq": last["seq"], "hash": last["hash"],
                     "county_time": "2026-11-28T01:00:00Z"})

    def do_GET(self):
        from urllib.parse import parse_qs, urlparse
        after = parse_qs(urlparse(self.path).query, keep_blank_values=True)["after"][0]
        self._reply({"for": self.headers["X-Station-Id"], "after": after, "next": after,
                     "entries": [], "stations": {}, "county_time": "2026-11-28T01:00:00Z"})

    def _reply(self, data):
        reply = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture(params=["fake", "http"])
def county(request):
    if request.param == "fake":
        yield FakeCountyLink()
        return
    server = HTTPServer(("127.0.0.1", 0), CountyHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield HttpCountyLink(f"http://127.0.0.1:{server.server_port}")
    server.shutdown()


def test_county_link_acknowledges_the_highest_event(county):
    events = make_chain(StationKey(Ed25519PrivateKey.generate()), 3)
    ack = county.push("st-1", events)
    assert (ack.station_id, ack.seq, ack.hash) == ("st-1", 3, events[-1].hash)


def test_county_link_refuses_plain_http_off_loopback():
    with pytest.raises(ValueError, match="https"):
        HttpCountyLink("http://county.example/")
    HttpCountyLink("https://county.example/")


def test_county_link_serves_a_roster_page_for_the_asking_station(county):
    page = county.roster("st-1", "st-2:7", StationKey(Ed25519PrivateKey.generate()))
    assert (page["for"], page["after"], page["entries"]) == ("st-1", "st-2:7", [])
