"""Calling the queue through the real SQLite core, the Flask pages and the hub (fake reader):
the technician page's moves, the public board and band, the voice endpoint, two technicians
calling at once, restart and day end."""

from __future__ import annotations

import io
import threading
import wave

import pytest

from kiosk.bootstrap import build_core
from kiosk.domain.queue import replay
from kiosk.sim.speech import ToneSpeech
from kiosk.sim.wallet import issue_virtual_card
from kiosk.station.announcer import Announcer
from kiosk.station.calling import DayEnd, QueueDesk
from kiosk.station.services import StationServices
from kiosk.store.sqlite import iter_events
from kiosk.web import create_app
from tests.web.test_staff_web import Kiosk, register


class QueueKiosk(Kiosk):
    def __init__(self, core, tmp_path):
        super().__init__(core)
        self.calling = QueueDesk(core.queue, self.hub, core.config.station.database,
                                 announcer=Announcer(ToneSpeech(), tmp_path / "voice"))
        app = create_app(self.hub, {"TIMEZONE": core.config.station.timezone},
                         services=StationServices(core, self.desk, self.hub, None, self.calling))
        app.testing = True
        self.client = app.test_client()


@pytest.fixture
def kiosk(core, tmp_path):
    return QueueKiosk(core, tmp_path)


@pytest.fixture
def residents(core, kiosk):
    tech = core.staff.add("赵技术员", "246813")
    kiosk.login(issue_virtual_card(core, "technician", tech.id, bytes.fromhex("08AABBCC"), "cpu"))
    cards = []
    for i, name in enumerate(("王秀华", "李明", "张丽丽", "陈小红")):
        rid = register(kiosk, name=name, national_id="")
        cards.append(issue_virtual_card(core, "resident", rid, bytes([4, 0x10 + i, 2, 3]), "cpu"))
    for card in cards:
        kiosk.tap(card)
    kiosk.login(issue_virtual_card(core, "technician", tech.id, bytes.fromhex("08AABBCD"), "cpu"))
    return cards


def fetch(kiosk, path):
    return kiosk.client.post(path, data={"csrf": kiosk.csrf()}, headers={"X-Kiosk-Fetch": "1"})


def test_call_next_shows_on_board_band_and_display(kiosk, residents):
    feed = kiosk.hub.subscribe()
    assert fetch(kiosk, "/staff/queue/call-next").get_json()["queue_no"] == 1
    kinds = [feed.get_nowait()[0] for _ in range(2)]
    assert kinds == ["queue", "call"]
    page = kiosk.client.get("/staff/queue/").get_data(as_text=True)
    assert 'id="my-calls"' in page and "王*华" in page
    display = kiosk.client.get("/display").get_data(as_text=True)
    assert 'data-queue-no="1"' in display and "王" not in display  # no names by default
    index = kiosk.client.get("/").get_data(as_text=True)
    assert "请 1 号 到 诊室1" in index


def test_no_show_and_put_back_reorder_the_line(kiosk, core, residents):
    fetch(kiosk, "/staff/queue/call-next")
    cid = kiosk.calling.staff_rows(core.db)["active"][0]["checkin_id"]
    fetch(kiosk, f"/staff/queue/{cid}/no_show")
    assert fetch(kiosk, f"/staff/queue/{cid}/put_back").get_json()["event"] == "queue.returned"
    waiting = kiosk.calling.staff_rows(core.db)["waiting"]
    assert [r["queue_no"] for r in waiting] == [2, 3, 1, 4]
    refused = fetch(kiosk, f"/staff/queue/{cid}/done")
    assert refused.status_code == 409 and 'id="queue-error"' in refused.get_data(as_text=True)


def test_the_voice_is_a_wav_and_cached(kiosk, residents, tmp_path):
    feed = kiosk.hub.subscribe()
    fetch(kiosk, "/staff/queue/call-next")
    call = [item for kind, item in (feed.get_nowait() for _ in range(2)) if kind == "call"][0].call
    url = kiosk.calling.voice_path(call)  # what the speaking screens are sent
    response = kiosk.client.get(url)
    assert response.status_code == 200 and response.mimetype == "audio/wav"
    with wave.open(io.BytesIO(response.data)) as w:
        assert w.getnframes() / w.getframerate() > 1.0
    assert kiosk.client.get(url.replace("room1", "nowhere")).status_code == 404
    assert kiosk.client.get("/voice/1/room1.wav").status_code == 404  # no pass: not rendered
    speech = kiosk.calling.announcer.speech
    kiosk.client.get(url)
    assert speech.rendered == [("请一号到诊室一就诊", "cmn")]  # rendered once, then cached


def test_two_technicians_calling_at_once_get_two_different_people(core, residents):
    barrier, called = threading.Barrier(2), []

    def press(tech):
        barrier.wait()
        called.append(core.queue.call_next("room1", tech).entry.queue_no)
    threads = [threading.Thread(target=press, args=(t,)) for t in ("t1", "t2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(called) == [1, 2]


def test_state_after_restart_is_what_the_events_say_and_day_end_closes(core, config, clock,
                                                                        residents):
    core.queue.call_next("room1", "t1")
    today = core.queue.today()
    core.close()
    again = build_core(config, clock=clock)
    with again.uow() as uow:
        stored = again.queue.day(uow).entries
    assert replay(iter_events(again.db), today, 2).entries == stored
    assert sorted(e.state for e in stored.values()) == ["called", "waiting", "waiting", "waiting"]
    clock.advance(days=1)
    assert DayEnd(again.queue).tick() == 4
    closing = [e for e in iter_events(again.db) if e.type == "queue.not_served"]
    assert len(closing) == 4
    with again.uow() as uow:
        assert again.queue.day(uow).entries == {}  # a new day starts an empty queue
    again.close()


def test_a_call_whose_screen_update_never_happened_is_shown_after_restart(core, config, clock,
                                                                          residents, tmp_path):
    core.queue.call_next("room1", "t1")  # committed; the process dies before it publishes
    core.close()
    again = QueueKiosk(build_core(config, clock=clock), tmp_path)
    display = again.client.get("/display").get_data(as_text=True)
    assert 'class="room-number" data-queue-no="1"' in display
    assert "请 1 号 到 诊室1" in again.client.get("/").get_data(as_text=True)
    again.core.close()


def test_the_demo_panel_calls_next(core, kiosk, residents):
    class Demo:
        cards, technician_pin = [], "123456"
    app = create_app(kiosk.hub, {"TIMEZONE": core.config.station.timezone}, demo=Demo(),
                     services=StationServices(core, kiosk.desk, kiosk.hub, None, kiosk.calling))
    client = app.test_client()
    assert 'id="demo-call-next"' in client.get("/demo/").get_data(as_text=True)
    assert client.post("/demo/call-next").status_code == 403
    assert client.post("/demo/call-next", headers={"X-Kiosk-Demo": "1"}).json == {
        "ok": True, "queue_no": 1}


def test_her_receipt_says_how_many_are_ahead(core, config, residents):
    from kiosk.adapters.printers import MemoryPrinter
    from kiosk.adapters.receipt_layout import receipt_lines
    from kiosk.station.spooler import PrintSpooler
    from kiosk.store.database import connect_readonly as connect
    spooler = PrintSpooler(config.station.database, MemoryPrinter(), "站", "Asia/Shanghai")
    spooler.db = connect(config.station.database)
    third = QueueDesk(core.queue, None, config.station.database).staff_rows(core.db)["waiting"][2]
    receipt = spooler.receipt_for(third["checkin_id"])
    assert (receipt.ahead, receipt.wait_minutes) == (2, None)  # nobody served yet: no guess
    assert "前面还有 2 人 Ahead of you: 2" in [line.text for line in receipt_lines(receipt)]
    spooler.db.conn.close()
