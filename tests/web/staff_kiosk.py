"""The technician-side test driver: the station loop, a fake reader and the web app in one
process, stepped by the test. tests/conftest.py builds it as the ``kiosk`` fixture for the web
tests and the security findings' tests."""

from __future__ import annotations

from kiosk.adapters.signals import RecordingSignals
from kiosk.domain.outcomes import CardIssued, TechnicianCard
from kiosk.sim.fake_reader import FakeCardReader
from kiosk.sim.virtual_card import VirtualCard
from kiosk.station.hub import ScreenHub
from kiosk.station.loop import Station
from kiosk.station.services import StationServices
from kiosk.station.staff_desk import StaffDesk
from kiosk.store.sqlite import iter_events
from kiosk.web import create_app

PIN = "246813"


class Kiosk:
    """The station loop, its reader and the web app, driven step by step."""

    def __init__(self, core, desk_clock=None):
        self.core, self.reader, self.hub = core, FakeCardReader(keys=core.card_access), ScreenHub()
        self.desk = StaffDesk(120, **({"clock": desk_clock} if desk_clock else {}))
        self.station = Station(core.checkins, self.reader, None, RecordingSignals(),
                               on_report=self.hub.tap, staff=self.desk, cards=core.desk,
                               staff_service=core.staff)
        app = create_app(self.hub, {"TIMEZONE": core.config.station.timezone},
                         services=StationServices(core, self.desk, self.hub))
        app.testing = True
        self.client = app.test_client()

    def tap(self, card: VirtualCard):
        self.reader.tap_card(card)
        return self.station.handle(self.reader.next_event(1))

    def login(self, card: VirtualCard, pin: str = PIN):
        report = self.tap(card)
        assert isinstance(report.outcome, TechnicianCard)
        ticket, csrf = report.login
        return self.client.post("/staff/login", data={"ticket": ticket, "csrf": csrf, "pin": pin})

    def csrf(self) -> str:
        return self.desk._session.csrf

    def post(self, path: str, **data):
        return self.client.post(path, data={"csrf": self.csrf(), **data})

    def events(self, type_: str) -> list:
        return [e for e in iter_events(self.core.db) if e.type == type_]


def register(kiosk, name="王秀华", consent=True, **extra):
    data = {"name": name, "birth_date": "1994-03-12", "village": "东湾村", "phone": "13800000000",
            "consent": "health-data-consent-v1" if consent else "", **extra}
    response = kiosk.post("/staff/residents/new", **data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[-1]


def issue(kiosk, resident_id: str, card: VirtualCard):
    response = kiosk.post(f"/staff/residents/{resident_id}/issue")
    assert response.status_code == 302
    report = kiosk.tap(card)
    assert isinstance(report.outcome, CardIssued), report.outcome
    return report.outcome.card_no
