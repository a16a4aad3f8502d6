"""The demo panel's county parts (kiosk/web/demo_panel.py), with Flask's test client: the
county links ask the demo for a fresh one-time link each click, "sync now" asks the station's
sync, and a panel without a county (or a post from elsewhere) gets neither."""

from __future__ import annotations

from types import SimpleNamespace

from kiosk.demo.data import DEMO_TECHNICIAN, panel_cards
from kiosk.station.hub import ScreenHub
from kiosk.web import create_app


class CountyDemo(SimpleNamespace):
    def __init__(self) -> None:
        super().__init__(cards=panel_cards(), technician_pin=DEMO_TECHNICIAN[3],
                         capture=SimpleNamespace(jobs=[]), county_url="http://127.0.0.1:8700/",
                         links=[], synced=0)

    def county_login(self, next_path: str) -> str:
        self.links.append(next_path)
        return f"http://127.0.0.1:8700/demo-login/token{len(self.links)}?next={next_path}"

    def sync_now(self) -> bool:
        self.synced += 1
        return True


def test_the_panel_links_to_the_county_signed_in():
    demo = CountyDemo()
    client = create_app(ScreenHub(), demo=demo).test_client()
    panel = client.get("/demo/").get_data(as_text=True)
    assert 'id="demo-county"' in panel and 'id="demo-county-reports"' in panel
    assert 'id="demo-sync"' in panel
    first = client.get("/demo/county?next=/reports")
    second = client.get("/demo/county")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"].endswith("/demo-login/token1?next=/reports")
    assert second.headers["Location"].endswith("/demo-login/token2?next=/")  # a new one each time
    assert client.post("/demo/sync").status_code == 403  # not from the panel
    assert client.post("/demo/sync", headers={"X-Kiosk-Demo": "1"}).json == {"ok": True}
    assert demo.synced == 1


def test_a_panel_without_a_county_has_no_county_parts():
    demo = SimpleNamespace(cards=panel_cards(), technician_pin=DEMO_TECHNICIAN[3],
                           capture=SimpleNamespace(jobs=[]))
    client = create_app(ScreenHub(), demo=demo).test_client()
    assert "demo-county" not in client.get("/demo/").get_data(as_text=True)
    assert client.get("/demo/county").status_code == 404
    assert client.post("/demo/sync", headers={"X-Kiosk-Demo": "1"}).status_code == 404
