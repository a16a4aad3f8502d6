"""The UI app with Flask's test client: pages, language, and the live event stream."""

import threading
import time

import pytest

from kiosk.domain.model import CarePlanItem, FollowUpStatus
from kiosk.domain.outcomes import (
    CardIssued,
    CardRefused,
    CheckedIn,
    IssueFailed,
    ReadFailed,
    TechnicianCard,
    UnknownCard,
)
from kiosk.ports import PrinterState, ReaderState, ReaderStatus
from kiosk.station.hub import ScreenHub
from kiosk.station.loop import TapReport
from kiosk.web import create_app

ITEM = CarePlanItem("c1", "r1", "prenatal", "孕中期检查 Mid-pregnancy check", "2026-11-25",
                    "2026-12-01", "2026-12-08")
CHECKED_IN = TapReport(CheckedIn("ck1", "r1", "王*华", 7, "2026-11-28",
                                 FollowUpStatus(ITEM, ())), "reader 0")


@pytest.fixture
def hub():
    return ScreenHub()


@pytest.fixture
def client(hub):
    return create_app(hub, {"STATION_NAME": "兴隆镇卫生服务站", "IDLE_SECONDS": 5}).test_client()


def test_idle_page_in_chinese_by_default(client):
    page = client.get("/").get_data(as_text=True)
    assert "请刷卡签到" in page and "兴隆镇卫生服务站" in page and 'lang="zh-CN"' in page
    assert "http://" not in page.replace("http://www.w3.org", "")  # nothing from outside


def test_language_button_switches_to_english(client):
    response = client.get("/lang/en")
    assert response.status_code == 302 and "lang=en" in response.headers["Set-Cookie"]
    page = client.get("/").get_data(as_text=True)
    assert "Please tap your card" in page and ">中文<" in page


def test_unknown_language_is_ignored(client):
    assert "Set-Cookie" not in client.get("/lang/xx").headers


def read_events(response, count, timeout=5.0):
    events, deadline, buffer = [], time.monotonic() + timeout, ""
    for chunk in response.response:
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            if block.startswith("event:"):
                events.append(block)
        if len(events) >= count or time.monotonic() > deadline:
            break
    return events


def test_tap_reaches_the_page_through_sse(client, hub):
    response = client.get("/events", buffered=False)
    threading.Timer(0.3, hub.tap, args=(CHECKED_IN,)).start()
    status, screen = read_events(response, 2)
    assert status.startswith("event: status")
    assert screen.startswith("event: screen") and '"screen": "checked_in"' in screen
    assert 'id=\\"queue-number\\">7<' in screen and "王*华" in screen and "2026年12月1日" in screen
    response.close()


@pytest.mark.parametrize("report,screen", [
    (TapReport(UnknownCard("ab", 3), "r"), "unknown_card"),
    (TapReport(ReadFailed("removed"), "r"), "read_error"),
    (TapReport(ReadFailed("unsupported", "6D00"), "r"), "card_unsupported"),
    (TapReport(None, "r", error="storage"), "error"),
    (TapReport(CardRefused("copied", 4), "r"), "card_refused"),
    # without the technician pages mounted a technician card has nowhere to go
    (TapReport(TechnicianCard("t1", "赵医生", "C1"), "r", login=("tk", "cs")), "error"),
    (TapReport(CardIssued("C2", "resident", "r1"), "r"), "card_issued"),
    (TapReport(IssueFailed("No card was placed in time"), "r"), "issue_failed"),
])
def test_every_outcome_has_a_screen(client, hub, report, screen):
    response = client.get("/events", buffered=False)
    threading.Timer(0.3, hub.tap, args=(report,)).start()
    assert f'"screen": "{screen}"' in read_events(response, 2)[1]
    response.close()


def test_reader_missing_and_printer_trouble_are_said_in_words(client, hub):
    hub.reader_status(ReaderStatus(ReaderState.SERVICE_UNAVAILABLE))
    hub.printer_status(PrinterState.PAPER_OUT, 3)
    page = client.get("/").get_data(as_text=True)
    assert "读卡器暂不可用" in page and "打印机缺纸" in page and "3 张小票待打印" in page
    health = client.get("/healthz").json
    assert {k: health[k] for k in ("reader", "printer", "receipts_waiting")} == {
        "reader": "service_unavailable", "printer": "paper_out", "receipts_waiting": 3}


def test_healthz_counts_the_touchscreens_page_not_a_desk_pc(client, hub):
    assert client.get("/healthz").json["screens"] == 0
    desk = client.get("/events", buffered=False, environ_base={"REMOTE_ADDR": "192.168.1.20"})
    read_events(desk, 1)
    assert client.get("/healthz").json["screens"] == 0  # a technician's PC on the LAN
    screen = client.get("/events", buffered=False)  # the touchscreen's browser: loopback
    read_events(screen, 1)
    time.sleep(0.2)
    health = client.get("/healthz").json
    assert health["screens"] == 1 and 0.1 <= health["screens_for_s"] < 5
    screen.close()
    desk.close()
    assert client.get("/healthz").json["screens"] == 0 and hub.screens()[1] < 1


def test_checkin_during_paper_out_tells_her_to_ask_staff(client, hub):
    hub.printer_status(PrinterState.PAPER_OUT, 1)
    response = client.get("/events", buffered=False)
    threading.Timer(0.3, hub.tap, args=(CHECKED_IN,)).start()
    assert "printer-notice" in read_events(response, 2)[1]
    response.close()


class FakeDemo:
    def __init__(self, jobs):
        from kiosk.demo.data import DEMO_TECHNICIAN, panel_cards
        self.capture = type("Capture", (), {"jobs": jobs})()
        self.cards, self.technician_pin = panel_cards(), DEMO_TECHNICIAN[3]
        self.tapped = []

    def tap(self, card):
        self.tapped.append(card)
        return card != "nonsense"


def test_demo_panel_exists_only_in_demo_mode(client):
    assert client.get("/demo/").status_code == 404


def test_demo_panel_taps_and_shows_receipts(hub):
    from kiosk.adapters.escpos_render import PrinterProfile, render_receipt
    from kiosk.adapters.receipt_layout import receipt_lines
    from kiosk.ports import Receipt
    job = render_receipt(receipt_lines(Receipt("站", "2026-11-28 09:00", 3, "王*华", None, "X")),
                         PrinterProfile())
    demo = FakeDemo([job])
    client = create_app(hub, demo=demo).test_client()
    assert "刷演示卡" in client.get("/demo/").get_data(as_text=True)
    assert client.post("/demo/tap/wang").status_code == 403  # no header: not from the panel
    assert client.post("/demo/tap/wang", headers={"X-Kiosk-Demo": "1"}).json == {"ok": True}
    assert client.post("/demo/tap/nonsense", headers={"X-Kiosk-Demo": "1"}).status_code == 404
    assert demo.tapped == ["wang", "nonsense"]
    assert client.get("/demo/receipts").json == {"count": 1}
    png = client.get("/demo/receipt/0.png")
    assert png.mimetype == "image/png" and png.data[:4] == b"\x89PNG"
    assert client.get("/demo/receipt/5.png").status_code == 404
