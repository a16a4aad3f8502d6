"""Finding N15: with ``ui.host`` opened for a waiting-room TV, the LAN saw every check-in.

The attack: a device on the LAN read ``/events`` (every tap, every check-in's masked name and
queue number, the status strip) and held its 8 stream slots, so ``/display`` got 503. Now a
request from anywhere but the station itself gets ``/display`` and its own stream
``/display/events`` (the board and calls only) and nothing else; ``/events`` stays on
loopback; the displays' streams have slots of their own.
"""

from __future__ import annotations

from kiosk.domain.outcomes import CheckedIn
from kiosk.station.screen_pages import MAX_SUBSCRIBERS

LAN = {"REMOTE_ADDR": "192.168.1.77"}  # a TV, or anyone, on the station's LAN
DISPLAY_STREAMS = 8  # the displays' own stream slots (kiosk.station.hub)


def test_n15_the_lan_gets_the_display_and_nothing_else(kiosk):
    lan = kiosk.client.application.test_client()
    for path in ("/events", "/", "/healthz", "/staff/", "/staff/login", "/me/x", "/lang/en",
                 "/static/kiosk.js", "/static/staff.js"):
        assert lan.get(path, environ_base=LAN).status_code == 404, path
    assert lan.get("/display", environ_base=LAN).status_code == 200
    for name in ("display.css", "display.js", "calls.js"):
        assert lan.get(f"/static/{name}", environ_base=LAN).status_code == 200, name
    stream = lan.get("/display/events", environ_base=LAN, buffered=False)
    assert stream.status_code == 200 and stream.mimetype == "text/event-stream"
    first = next(stream.response)
    assert b"event: status" in first
    stream.close()
    assert kiosk.client.get("/events", buffered=False).status_code == 200  # on the station itself


def test_n15_a_display_stream_never_hears_a_check_in(kiosk, tech_card, monkeypatch):
    from kiosk.web import calling
    monkeypatch.setattr(calling, "DISPLAY_KEEPALIVE_SECONDS", 0.2)
    lan = kiosk.client.application.test_client()
    stream = lan.get("/display/events", environ_base=LAN, buffered=False)
    chunks = stream.response
    next(chunks)  # subscribed, status sent
    kiosk.login(tech_card)
    from tests.web.staff_kiosk import register
    resident = register(kiosk)
    from kiosk.sim.wallet import issue_virtual_card
    card = issue_virtual_card(kiosk.core, "resident", resident, bytes.fromhex("04A1B2C9"), "mifare")
    assert isinstance(kiosk.tap(card).outcome, CheckedIn)
    heard = b""
    while b"keep-alive" not in heard:  # what the stream had for it came before its keep-alive
        heard += next(chunks)
    stream.close()
    assert b"event: screen" not in heard and b"checked_in" not in heard, heard


def test_n15_displays_have_slots_of_their_own(kiosk):
    held = [kiosk.client.get("/events", buffered=False) for _ in range(MAX_SUBSCRIBERS)]
    assert all(r.status_code == 200 for r in held)
    assert kiosk.client.get("/events", buffered=False).status_code == 503  # its slots are full
    lan = kiosk.client.application.test_client()
    displays = [lan.get("/display/events", environ_base=LAN, buffered=False)
                for _ in range(DISPLAY_STREAMS)]
    assert all(r.status_code == 200 for r in displays)  # and the displays' are their own
    assert lan.get("/display/events", environ_base=LAN, buffered=False).status_code == 503
    for response in reversed([*held, *displays]):
        response.close()
