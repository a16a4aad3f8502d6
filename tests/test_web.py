"""The UI app with Flask's test client: pages, language, and the live event stream."""

import threading
import time

import pytest

from kiosk.domain.model import CarePlanItem, FollowUpStatus
from kiosk.domain.outcomes import CheckedIn, ReadFailed, UnknownCard
from kiosk.ports import PrinterState, ReaderState, ReaderStatus
from kiosk.station import TapReport
from kiosk.web import create_app
from kiosk.web.hub import ScreenHub

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
    assert client.get("/healthz").json == {"reader": "service_unavailable",
                                           "printer": "paper_out", "receipts_waiting": 3}


def test_checkin_during_paper_out_tells_her_to_ask_staff(client, hub):
    hub.printer_status(PrinterState.PAPER_OUT, 1)
    response = client.get("/events", buffered=False)
    threading.Timer(0.3, hub.tap, args=(CHECKED_IN,)).start()
    assert "printer-notice" in read_events(response, 2)[1]
    response.close()
