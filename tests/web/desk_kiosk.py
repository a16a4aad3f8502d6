"""The desk-side test driver: the station loop with a kiosk reader and a desk reader (one fake
reader reporting under either name), the kiosk app and the desk app, stepped by the test. The
desk app is asked over https:// (its cookie is Secure), from a named browser (each with its
own cookies) at an address (127.0.0.1 unless given)."""

from __future__ import annotations

from kiosk.adapters.signals import RecordingSignals
from kiosk.domain.outcomes import TechnicianCard
from kiosk.ports import ReaderState, ReaderStatus
from kiosk.sim.fake_reader import FakeCardReader
from kiosk.sim.virtual_card import VirtualCard
from kiosk.station.desk_sessions import DeskSessions
from kiosk.station.desk_taps import DeskTaps
from kiosk.station.hub import ScreenHub
from kiosk.station.loop import Station
from kiosk.station.services import StationServices
from kiosk.station.staff_desk import StaffDesk
from kiosk.store.sqlite import iter_events
from kiosk.web import create_app

PIN = "246813"
KIOSK_READER, DESK_READER = "Kiosk Reader 00 00", "Desk Reader 00 01"
BROWSER = "Mozilla/5.0 (desk test) Chromium"
DESK = "https://desk.test"


def role_of(reader: str) -> str:
    return "desk" if reader.startswith("Desk Reader") else "kiosk"


class Now:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class DeskKiosk:
    def __init__(self, core, idle_seconds: int = 900, sessions: int = 3,
                 desk_reader: bool = True):
        self.core, self.reader, self.hub = core, FakeCardReader(KIOSK_READER), ScreenHub()
        self.now = Now()
        self.staff = StaffDesk(120)
        self.sessions = DeskSessions(idle_seconds, sessions, clock=self.now)
        self.taps = DeskTaps(self.sessions, core.checkins, core.staff, role_of)
        self.desk_reports: list = []
        self.station = Station(core.checkins, self.reader, None, RecordingSignals(),
                               on_report=self.hub.tap, staff=self.staff, cards=core.desk,
                               staff_service=core.staff, desk=self.taps,
                               on_desk=self.desk_reports.append)
        readers = (KIOSK_READER, DESK_READER) if desk_reader else (KIOSK_READER,)
        self.station.handle(ReaderStatus(ReaderState.READY, "", readers))
        services = StationServices(core, self.staff, self.hub, desk_sessions=self.sessions,
                                   desk_fingerprint="AB:CD")
        settings = {"TIMEZONE": core.config.station.timezone}
        kiosk_app = create_app(self.hub, settings, services=services)
        desk_app = create_app(self.hub, settings, services=services, desk=True)
        kiosk_app.testing = desk_app.testing = True
        self.desk_app = desk_app
        self.kiosk_client, self.client = kiosk_app.test_client(), desk_app.test_client()
        self.browsers = {BROWSER: self.client}

    # -- the readers ----------------------------------------------------------------
    def tap(self, card: VirtualCard, at_desk: bool = True):
        self.reader.tap_card(card, DESK_READER if at_desk else KIOSK_READER)
        return self.station.handle(self.reader.next_event(1))

    # -- a desk browser ---------------------------------------------------------------
    def browser(self, name: str):
        """The test client of a browser: its own cookie jar."""
        if name not in self.browsers:
            self.browsers[name] = self.desk_app.test_client()
        return self.browsers[name]

    def get(self, path: str, browser: str = BROWSER, address: str = "127.0.0.1", **kwargs):
        return self.browser(browser).get(path, base_url=DESK, headers={"User-Agent": browser},
                                         environ_base={"REMOTE_ADDR": address}, **kwargs)

    def post(self, path: str, data: dict, browser: str = BROWSER, address: str = "127.0.0.1"):
        return self.browser(browser).post(path, base_url=DESK, data=data,
                                          headers={"User-Agent": browser},
                                          environ_base={"REMOTE_ADDR": address})

    def wait_page(self, browser: str = BROWSER, address: str = "127.0.0.1") -> str:
        """Open the desk login page: the id of its wait."""
        page = self.get("/staff/desk/login", browser, address).get_data(as_text=True)
        return page.split('data-wait="', 1)[1].split('"', 1)[0]

    def wait_code(self, wait: str) -> str:
        """The code the page with this wait shows."""
        found = self.sessions.logins.state(wait)
        assert found is not None
        return found.code

    def wait_state(self, wait: str, browser: str = BROWSER, address: str = "127.0.0.1") -> dict:
        return self.get(f"/staff/desk/login/{wait}", browser, address).get_json()

    def login(self, card: VirtualCard, pin: str = PIN, browser: str = BROWSER,
              address: str = "127.0.0.1"):
        wait = self.wait_page(browser, address)
        report = self.tap(card)
        assert isinstance(report.outcome, TechnicianCard)
        state = self.wait_state(wait, browser, address)
        assert state["state"] == "chosen", state
        return self.post("/staff/desk/login", {"ticket": state["ticket"], "csrf": state["csrf"],
                                               "pin": pin}, browser, address)

    def kiosk_code(self, card: VirtualCard, code: str):
        """Her card on the kiosk reader, then the desk page's code typed on the kiosk screen."""
        report = self.tap(card, at_desk=False)
        assert report.login is not None, report
        ticket, csrf = report.login
        return self.kiosk_client.post("/staff/login/desk", data={"ticket": ticket, "csrf": csrf,
                                                                 "code": code})

    def csrf(self) -> str:
        session = self.sessions.current()
        assert session is not None
        return session.csrf

    def messages(self, after: int = 0) -> list[dict]:
        """The session's desk messages (asked only when some are there: it long-polls)."""
        return self.get(f"/staff/desk/next?after={after}").get_json()["messages"]

    def kept(self, seq: int) -> dict:
        """An event's station-only values (kiosk.domain.disclosure), by field."""
        from kiosk.store.sqlite import event_secrets
        return dict(event_secrets(self.core.db))[seq]

    def events(self, type_: str) -> list:
        return [e for e in iter_events(self.core.db) if e.type == type_]
