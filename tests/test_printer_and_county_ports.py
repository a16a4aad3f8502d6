"""The printer and county-link ports: fake and real adapter over loopback, same contract."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.adapters.county import FakeCountyLink, HttpCountyLink
from kiosk.adapters.printers import MemoryPrinter, NetworkEscposPrinter
from kiosk.ports import PrinterState, Receipt
from tests.test_events import make_chain
from kiosk.keys import StationKey

RECEIPT = Receipt("测试站", "2026-11-28", 7, "王*华", "2026-12-01", "AB12CD34")


class StatusPrinter:
    """A tiny 9100-style printer: answers DLE EOT 1 / 4 with set bytes, records job bytes."""

    def __init__(self, printer_byte=0x12, paper_byte=0x12, silent=False):
        self.replies = {b"\x10\x04\x01": bytes([printer_byte]), b"\x10\x04\x04": bytes([paper_byte])}
        self.silent, self.received = silent, b""
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                while data := conn.recv(4096):
                    if data in self.replies:
                        if not self.silent:
                            conn.sendall(self.replies[data])
                    else:
                        self.received += data


@pytest.fixture(params=["memory", "network"])
def printer(request):
    if request.param == "memory":
        return MemoryPrinter(), None
    fake = StatusPrinter()
    return NetworkEscposPrinter("127.0.0.1", fake.port, timeout=1.0), fake


def test_printer_prints_when_ready(printer):
    adapter, fake = printer
    assert adapter.status() == PrinterState.READY
    assert adapter.print_receipt(RECEIPT) == PrinterState.READY
    if fake:
        import time
        time.sleep(0.2)
        assert b"AB12CD34" in fake.received and b"\x1dV" in fake.received  # text and cut


@pytest.mark.parametrize("printer_byte,paper_byte,silent,state", [
    (0x12, 0x72, False, PrinterState.PAPER_OUT),
    (0x1A, 0x12, False, PrinterState.OFFLINE),
    (0x12, 0x12, True, PrinterState.NO_ANSWER),
])
def test_network_printer_tells_paper_out_from_offline_from_silence(printer_byte, paper_byte, silent, state):
    fake = StatusPrinter(printer_byte, paper_byte, silent)
    adapter = NetworkEscposPrinter("127.0.0.1", fake.port, timeout=0.5)
    assert adapter.status() == state
    assert adapter.print_receipt(RECEIPT) == state and fake.received == b""


def test_unreachable_printer_is_offline():
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    assert NetworkEscposPrinter("127.0.0.1", port, timeout=0.5).status() == PrinterState.OFFLINE


class CountyHandler(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        CountyHandler.received.append((self.path, body))
        last = body["events"][-1]
        reply = json.dumps({"station_id": last["station_id"], "seq": last["seq"],
                            "hash": last["hash"], "county_time": "2026-11-28T01:00:00Z"}).encode()
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
