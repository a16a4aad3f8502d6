"""A county that loses power mid-answer: the station's link sees a network failure (OSError,
retried later), never an exception the sync worker does not expect (the county power-cut test
once died of http.client.IncompleteRead)."""

from __future__ import annotations

import socket
import threading

import pytest

from kiosk.adapters.county import HttpCountyLink
from kiosk.domain.events import Event


def serve_cut_short_answers(listener: socket.socket) -> None:
    """Reads each request whole and promises an answer body it never sends."""
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(5)
            received = b""
            while b"\r\n\r\n" not in received:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                received += chunk
            head, _, body = received.partition(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            while len(body) < length:
                body += conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 302\r\n\r\n{\"station_id\"")


@pytest.fixture
def cut_short_county():
    listener = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=serve_cut_short_answers, args=(listener,), daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def test_an_answer_cut_short_is_a_network_failure(cut_short_county):
    link = HttpCountyLink(cut_short_county, timeout=5)
    event = Event(v=1, id="e1", station_id="s1", seq=1, type="test.thing", payload={"n": 1},
                  wall_time="2026-11-28T01:00:00+00:00", boot_id="b", mono_ns=0,
                  prev_hash="0" * 64)
    with pytest.raises(OSError, match="county answer not understood"):
        link.push("s1", [event], head=1)


def test_a_card_relay_answer_cut_short_is_a_network_failure(cut_short_county, tmp_path):
    """The card relay too: another township's card is then an unverified visitor (OSError),
    not a failed tap."""
    from kiosk.adapters.card_relay import HttpCardRelay
    from kiosk.keys import generate_key_file, load_key_file
    generate_key_file(tmp_path / "station.key")
    relay = HttpCardRelay(cut_short_county, "s1", load_key_file(tmp_path / "station.key"), timeout=5)
    with pytest.raises(OSError, match="county answer not understood"):
        relay.begin("xiqiao", 1, bytes(7), 1, bytes(16))
