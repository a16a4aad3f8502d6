"""The roster feed by per-station position (version 2): a reader resumes from (station, seq)
pairs, never from a global row number; a station's version-1 cursor (digits) is converted by
the county on its first pull after the upgrade, and nothing is served twice or skipped."""

from __future__ import annotations

import json
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from werkzeug.serving import make_server

from kiosk.adapters.county import HttpCountyLink
from kiosk.county.bootstrap import county_app, open_store_at
from kiosk.domain.events import ChainHead
from kiosk.domain.unit_of_work import EventFactory
from kiosk.errors import ProtocolError
from kiosk.keys import StationKey
from kiosk.protocol.roster import encode_positions, parse_positions
from kiosk.store.roster import CURSOR_KEY, cursor
from kiosk.sync.roster_pull import pull
from tests.county.test_county import push

KEYS = {name: StationKey(Ed25519PrivateKey.generate()) for name in ("st-a", "st-c")}


def chain(station_id: str, count: int, kinds=None) -> list:
    """``count`` registrations of the station's residents, or the events ``kinds`` gives
    (type, payload) for each n."""
    from kiosk.adapters.clock import FakeClock
    factory, head, events = EventFactory(station_id, KEYS[station_id], FakeClock()), ChainHead(), []
    for n in range(count):
        type_, payload = kinds(n) if kinds else (
            "resident.registered", {"id": f"{station_id}-r{n}", "name": "王秀华", "birth_date": None,
                                    "village": None, "consent_version": None, "consent_at": None,
                                    "registered_at": "2026-11-28"})
        event = factory.next(head, type_, payload)
        head = ChainHead(event.seq, event.hash)
        events.append(event)
    return events


def revocations(n: int) -> tuple[str, dict]:
    """Her registration, her card, then revocations of that card: what every station gets of
    another station's resident (her card's number, nothing else; issue 24)."""
    if n == 0:
        return "resident.registered", {"id": "st-a-r0", "name": "王秀华"}
    if n == 1:
        return "card.issued", {"card_no": "CARD000001", "role": "resident", "holder_id": "st-a-r0",
                               "uid_hash": "00", "kind": "cpu", "reason": "new", "by": "t"}
    return "card.revoked", {"card_no": "CARD000001", "holder_id": "st-a-r0", "reason": "lost",
                            "by": "t"}


@pytest.fixture
def county(tmp_path, county_database):
    store = open_store_at(county_database or str(tmp_path / "county.db"))
    for name, key in KEYS.items():
        store.enroll(name, key.public_bytes().hex(), "2026-11-29T00:00:00Z")
    county_key = StationKey(Ed25519PrivateKey.generate())
    app = county_app(store, county_key)
    yield store, app, county_key
    store.close()


def test_positions_encode_and_parse():
    assert encode_positions({"st-c": 4, "st-a": 12, "st-b": 0}) == "st-a:12,st-c:4"
    assert parse_positions("st-a:12,st-c:4") == {"st-a": 12, "st-c": 4}
    assert parse_positions("") == {}
    for bad in ("st-a", "st-a:x", "ST:1", "st-a:1,st-a:2", "a:1"):
        with pytest.raises(ProtocolError):
            parse_positions(bad)


def test_follow_reads_every_event_once_in_small_pages(county):
    store, app, _ = county
    client = app.test_client()
    a, c = chain("st-a", 7), chain("st-c", 5)
    assert push(client, a[:4], "st-a").status_code == 200
    assert push(client, c, "st-c").status_code == 200
    seen, positions = [], {}
    for _ in range(20):
        rows, positions = store.follow(positions, 3)
        seen += [(r[0], r[1]) for r in rows]
        if not rows:
            break
        if len(seen) == 9:  # meanwhile st-a pushes the rest
            assert push(client, a[4:], "st-a").status_code == 200
    assert sorted(seen) == [("st-a", n) for n in range(1, 8)] + [("st-c", n) for n in range(1, 6)]
    assert len(seen) == len(set(seen))
    rows, _ = store.follow({}, 100, exclude="st-a")
    assert {r[0] for r in rows} == {"st-c"}


def test_a_version_1_cursor_is_converted_on_the_first_pull(county, core):
    """Station B kept a version-1 cursor (a row number) before its upgrade: it pulls once by
    it, stores per-station positions from then on, and gets only what it had not seen."""
    store, app, county_key = county
    store.enroll(core.config.station.id, core.key.public_bytes().hex(), "2026-11-29T00:00:00Z")
    client = app.test_client()
    a = chain("st-a", 6, revocations)
    push(client, a[:3], "st-a")
    old_cursor = 3  # all three rows were served to B by version 1
    push(client, a[3:], "st-a")
    with core.writer.lock:
        core.db.execute("INSERT INTO meta VALUES (?, ?)", (CURSOR_KEY, str(old_cursor)))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        link = HttpCountyLink(f"http://127.0.0.1:{server.server_port}")
        pulled = pull(core, link, county_key.public)
        assert cursor(core.db) == "st-a:6"
        assert pulled == 3  # seq 4..6 only
        assert pull(core, link, county_key.public) == 0  # nothing new, nothing again
        assert core.db.execute("SELECT card_no FROM revoked_cards").fetchall() == [("CARD000001",)]
        assert core.db.execute("SELECT COUNT(*) FROM residents").fetchone()[0] == 0
        page = link.roster(core.config.station.id, "st-a:6", core.key)
        assert page["next"] == "st-a:6" and page["entries"] == []
    finally:
        server.shutdown()


def test_a_malformed_cursor_is_400(county):
    _, app, _ = county
    response = app.test_client().get("/api/v1/roster?after=nonsense&v=2",
                                     headers={"X-Station-Id": "st-a"})
    assert response.status_code == 400 and json.loads(response.data)["error"] == "malformed"
