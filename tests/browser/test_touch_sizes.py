"""Every page a technician or resident can reach on the kiosk's screen meets the screens' rule
(issue 15), at 800x480, 1024x600 and 1280x800: every link, button and input at least 48x48 CSS
px, no horizontal scroll, and no vertical scroll on the public screens (technician pages may
scroll down). The PIN keypad's keys are at least 64x56. The technician pages also work at a
1366x768 laptop and a 10" tablet held upright (800x1280): tables keep their columns, every form
that takes text has a submit button (Enter submits), no positive tabindex (Tab follows the page).

The pages are not a hand-picked list: they are the GET rules of the kiosk's Flask app with all
its parts mounted (screen, technician pages, her record, queue, display, demo panel), their URL
parameters filled from the seeded station. ``NOT_PAGES`` states which rules are not pages; a new
rule that is neither filled nor excluded fails ``test_every_page_rule_is_checked``.

One real station process (real pcscd, real taps) is walked once, in the order a day allows:
public pages, her record after her tap, the PIN keypad after the technician's tap, then every
technician page; the demo panel runs in its own app (it is `kiosk demo`'s, a laptop page, so
it is checked at the laptop sizes, 1280x800 and 1366x768). The same station has its desk on (a
second reader of role desk), and the desk app's pages are walked too at the desk sizes: its login
page before and after her card, then every page after her PIN. Each (rule, size) is then its own
test.

On every page of the walk: no visible error element that the walk did not cause (only the PIN
keypad after a wrong PIN shows one), and nothing clipped (tests/browser/perceived.py says what
those are); targets are every element a finger can aim at, a <details>'s <summary> included.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from werkzeug.routing import Rule

from kiosk.bootstrap import build_core
from kiosk.config.loader import load_config
from kiosk.demo.data import DEMO_TECHNICIAN, panel_cards, seed_demo
from kiosk.domain.model import local_date
from kiosk.keys import generate_key_file
from kiosk.station.hub import ScreenHub
from kiosk.store.queries import LISTS
from kiosk.testing.station import write_station_config
from kiosk.web import create_app
from tests.browser.chromium import free_port, measure, tap, wait_screen
from tests.browser.station_rig import station_in_chromium

pytestmark = [pytest.mark.pcsc, pytest.mark.browser]
KIOSK_SIZES = [(800, 480), (1024, 600), (1280, 800)]
DESK_SIZES = [(1366, 768), (800, 1280)]  # a laptop at the desk, a 10" tablet held upright
PIN_KEY = (64, 56)  # the PIN keypad's keys, width x height, at least

# The rule that says which URL rules are not pages, so the layout check skips them:
# the static files; rules that answer no GET (form posts); rules whose path ends in a file
# name (.csv exports, .png receipts, .wav announcements); and, by endpoint, the rules that
# answer data rather than a page.
NOT_PAGE_ENDPOINTS = {
    "screen.events": "the screen's Server-Sent Events stream",
    "calling.display_events": "the waiting-room display's Server-Sent Events stream",
    "screen.healthz": "JSON for the watchdog",
    "screen.set_language": "sets the language cookie and redirects back to the page",
    "staff.ping": "JSON: the technician page's keep-alive",
    "demo.receipts": "JSON: how many receipts the demo printed",
    "demo.county": "a redirect to the demo county's one-time sign-in link",
    "desk.login_wait": "JSON: the desk login page's long poll",
    "desk.next_messages": "JSON: the desk pages' long poll",
}


def not_page(rule: Rule) -> str | None:
    """Why a rule is not a page (None: it is one)."""
    if rule.endpoint == "static":
        return "static files"
    if "GET" not in (rule.methods or ()):
        return "no GET: a form post"
    if re.search(r"\.[a-z0-9]+$", rule.rule):
        return "a file, not a page"
    return NOT_PAGE_ENDPOINTS.get(rule.endpoint)


def kiosk_app_rules() -> list[Rule]:
    """The kiosk's app with every part mounted (create_app only reads services and the demo
    controls per request)."""
    app = create_app(ScreenHub(), services=SimpleNamespace(), demo=SimpleNamespace())
    return sorted(app.url_map.iter_rules(), key=lambda r: r.rule)


def desk_app_rules() -> list[Rule]:
    """The desk's app (the technician pages on the LAN, over HTTPS)."""
    app = create_app(ScreenHub(), services=SimpleNamespace(), desk=True)
    return sorted(app.url_map.iter_rules(), key=lambda r: r.rule)


PAGE_RULES = [r for r in kiosk_app_rules() if not_page(r) is None]
DESK_PAGE_RULES = [r for r in desk_app_rules() if not_page(r) is None]
DESK = "desk:"  # the desk's pages are named "desk:<rule>" in the results
# Where a page can be opened: the public screens need no login (no vertical scroll there),
# her record needs her tap, the technician pages a technician session; the demo panel is
# `kiosk demo`'s laptop page.
PUBLIC = ("screen.", "calling.", "me.")
DEMO = ("demo.",)


def kind(rule: Rule) -> str:
    if rule.endpoint.startswith(DEMO):
        return "demo"
    return "public" if rule.endpoint.startswith(PUBLIC) else "staff"


def sizes(rule: Rule) -> list[tuple[int, int]]:
    return {"demo": [(1280, 800), (1366, 768)], "staff": KIOSK_SIZES + DESK_SIZES,
            "public": KIOSK_SIZES}[kind(rule)]


CASES = ([(r.rule, w, h) for r in PAGE_RULES for (w, h) in sizes(r)]
         + [(DESK + r.rule, w, h) for r in DESK_PAGE_RULES for (w, h) in DESK_SIZES])
DESK_SLOT = 1  # the vpcd's second reader, of role "desk" in the walked station

KEY_SIZES = """() => [...document.querySelectorAll('.keypad .key')].map(k => {
    const r = k.getBoundingClientRect(); return [k.dataset.key || k.id, r.width, r.height]; })"""


def seeded(db_path) -> dict[str, list[str]]:
    """URL parameters from the seeded station: her id, an open item of hers, every list."""
    with sqlite3.connect(db_path) as db:
        item = db.execute("SELECT id FROM care_plan_items WHERE resident_id = 'demo-wang' AND "
                          "done_on IS NULL AND declined_on IS NULL ORDER BY due").fetchone()[0]
    return {"resident_id": ["demo-wang"], "item_id": [item], "which": list(LISTS)}


def urls(rule: Rule, values: dict[str, list[str]]) -> list[str]:
    """The rule's URLs, one per combination of seeded values of its parameters."""
    missing = [a for a in rule.arguments if a not in values]
    assert not missing, f"{rule.rule}: no seeded value for {missing}: add one to seeded()"
    found = [rule.rule]
    for arg in sorted(rule.arguments):
        found = [re.sub(rf"<(?:[a-z]+:)?{arg}>", value, url) for url in found for value in values[arg]]
    return found


@pytest.fixture(scope="module")
def walked(pcscd, tmp_path_factory):
    """(rule, width, height) -> problems found, for every page rule, from one walk."""
    config_path = write_station_config(
        tmp_path_factory.mktemp("touch"), pcscd, ui_port=free_port(), idle_seconds=600,
        extra=(f'\n[staff]\nidle_logout_seconds = 3600\n'
               f'\n[reader.roles]\n"{pcscd.reader_names[DESK_SLOT]}" = "desk"\n'
               f'\n[desk]\nenabled = true\nhost = "127.0.0.1"\nport = {free_port()}\n'))
    config = load_config(config_path)
    generate_key_file(config.station.key_file)
    core = build_core(config)
    cards = seed_demo(core, local_date(core.clock.now(), config.station.timezone))
    with core.writer.lock:  # another station it knows: her record offers "she moved" (issue 24)
        core.db.execute("INSERT INTO remote_stations (station_id, public_key) VALUES "
                        "('xinglong-02', ?)", ("00" * 32,))
    core.close()
    values = seeded(config.station.database)
    results: dict[tuple[str, int, int], list[str]] = {}

    def visit(page, rule: Rule, url: str | None = None, go: bool = True, at_desk: bool = False) -> None:
        base = origin(station.desk_url) if at_desk else station.ui_url.rstrip("/")
        for width, height in (DESK_SIZES if at_desk else sizes(rule)):
            page.set_viewport_size({"width": width, "height": height})
            for target in ([url] if url else urls(rule, values)):
                if go:
                    page.goto(base + target)
                # named by the rule when a tap made the URL (her link, an issuance: secrets)
                name = ("desk" if at_desk else "touch") + re.sub(
                    r"[^a-z0-9]+", "-", (rule.rule if url else target).lower())
                found = measure(page, name, kind(rule) == "public" and not at_desk,
                                (width, height) in DESK_SIZES)
                results.setdefault(((DESK if at_desk else "") + rule.rule, width, height), []).extend(
                    f"{target}: {p}" for p in found)

    by_endpoint = {r.endpoint: r for r in PAGE_RULES}
    with station_in_chromium(pcscd, config_path) as (station, browser, driver):
        page = browser.new_page(viewport={"width": 800, "height": 480})
        for rule in PAGE_RULES:  # the public pages, nobody logged in
            if kind(rule) == "public" and not rule.arguments or rule.endpoint == "staff.login":
                if rule.endpoint == "screen.index":
                    page.goto(station.screen_url)
                    page.wait_for_function("document.body.dataset.connected === 'yes'")
                    visit(page, rule, "/", go=False)
                else:
                    visit(page, rule)
        page.goto(station.screen_url)  # her tap on the kiosk's own screen: her record's link
        page.wait_for_function("document.body.dataset.connected === 'yes'")
        tap(driver, cards["wang"])
        wait_screen(page, "checked_in")
        for width, height in KIOSK_SIZES:  # her check-in screen, with the link to her record
            page.set_viewport_size({"width": width, "height": height})
            results[("her check-in", width, height)] = measure(page, "touch-checked-in", True, False)
        page.set_viewport_size({"width": 800, "height": 480})
        page.click("#my-record")
        page.wait_for_selector("#my-upcoming")
        visit(page, by_endpoint["me.record"], page.url.removeprefix(station.ui_url.rstrip("/")), go=False)

        page.goto(station.screen_url)  # the technician's tap: the PIN keypad
        page.wait_for_function("document.body.dataset.connected === 'yes'")
        tap(driver, cards[DEMO_TECHNICIAN[0]])
        wait_screen(page, "pin_entry")
        keypad(page, "PIN keypad", results)
        enter_pin(page, "000000")  # a wrong PIN: the keypad again, as a page of its own
        page.wait_for_selector("body[data-page='pin'] .keypad")
        keypad(page, "PIN keypad after a wrong PIN", results, error_expected=True)
        enter_pin(page, DEMO_TECHNICIAN[3])
        page.wait_for_selector("#checkins-today")
        for rule in PAGE_RULES:  # every technician page but the card issuance (it waits for a card)
            if kind(rule) == "staff" and rule.endpoint not in ("staff.login", "care.issue_status"):
                visit(page, rule)
        page.set_viewport_size({"width": 800, "height": 480})
        page.goto(station.ui_url + "staff/residents/demo-wang")
        page.click("#issue-card")
        page.wait_for_url("**/staff/issue/**")
        visit(page, by_endpoint["care.issue_status"], page.url.removeprefix(station.ui_url.rstrip("/")),
              go=False)
        page.close()
        for rule in PAGE_RULES:
            if kind(rule) == "demo":
                with demo_panel() as url:
                    demo_page = browser.new_page()
                    demo_page.goto(url)
                    visit(demo_page, rule, "/demo/", go=False)
                    demo_page.close()
        walk_the_desk(browser, station, driver, cards, visit, results)
    return results


def origin(url: str) -> str:
    """https://127.0.0.1:8443/staff/ -> https://127.0.0.1:8443"""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def walk_the_desk(browser, station, driver, cards, visit, results) -> None:
    """The desk's pages in their own browser context (it accepts the station's own certificate):
    the login page waiting for her card, then with the PIN form her card brought, then every
    page after her PIN."""
    by_endpoint = {r.endpoint: r for r in DESK_PAGE_RULES}
    page = browser.new_context(ignore_https_errors=True).new_page()
    login = by_endpoint["desk.login"]
    visit(page, login, at_desk=True)  # a fresh wait at each size
    page.wait_for_selector("#desk-waiting", state="visible")
    tap(driver, cards[DEMO_TECHNICIAN[0]], slot=DESK_SLOT)
    page.wait_for_selector("#desk-pin-form", state="visible")
    for width, height in DESK_SIZES:
        page.set_viewport_size({"width": width, "height": height})
        results[("desk login with the PIN form", width, height)] = measure(
            page, "desk-login-pin", False, True)
    page.fill("#pin", DEMO_TECHNICIAN[3])
    page.press("#pin", "Enter")
    page.wait_for_selector("#checkins-today")
    for rule in DESK_PAGE_RULES:
        if rule not in (login, by_endpoint["care.issue_status"]):
            visit(page, rule, at_desk=True)
    page.goto(origin(station.desk_url) + "/staff/residents/demo-wang")
    page.click("#issue-card")
    page.wait_for_url("**/staff/issue/**")
    visit(page, by_endpoint["care.issue_status"], page.url.removeprefix(origin(station.desk_url)),
          go=False, at_desk=True)
    page.context.close()


def enter_pin(page, pin: str) -> None:
    page.set_viewport_size({"width": 800, "height": 480})
    for digit in pin:
        page.click(f".key[data-key='{digit}']")
    page.click("#pin-ok")


def keypad(page, name: str, results: dict, error_expected: bool = False) -> None:
    """The PIN keypad at each kiosk size: the layout check, and every key at least 64x56."""
    for width, height in KIOSK_SIZES:
        page.set_viewport_size({"width": width, "height": height})
        found = measure(page, "touch-" + name.replace(" ", "-").lower(), True, False, error_expected)
        found += [f"PIN key {k} is {w:.0f}x{h:.0f}, under {PIN_KEY[0]}x{PIN_KEY[1]}"
                  for k, w, h in page.evaluate(KEY_SIZES) if w < PIN_KEY[0] or h < PIN_KEY[1]]
        assert len(page.evaluate(KEY_SIZES)) == 12, f"{name}: the keypad has not 12 keys"
        results[(name, width, height)] = found


class demo_panel:  # noqa: N801 (a context manager used as a function)
    """`kiosk demo`'s panel in its own app on a free port (its cards and PIN, no receipts)."""

    def __enter__(self) -> str:
        from werkzeug.serving import make_server
        controls = SimpleNamespace(cards=panel_cards(), technician_pin=DEMO_TECHNICIAN[3],
                                   capture=SimpleNamespace(jobs=[]),
                                   desk_url="https://127.0.0.1:1/staff/",  # its desk parts too
                                   county_url="http://127.0.0.1:1/")  # and its county's
        self.server = make_server("127.0.0.1", 0, create_app(ScreenHub(), demo=controls), threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_port}/demo/"

    def __exit__(self, *exc) -> None:
        self.server.shutdown()


def test_every_page_rule_is_checked():
    """A GET rule is either a page the walk opens, or named by the not-a-page rule above."""
    assert PAGE_RULES, "no page rules found"
    endpoints = {r.endpoint for r in kiosk_app_rules() + desk_app_rules()}
    assert {"screen.index", "staff.dashboard", "me.record", "staff_queue.queue_page",
            "demo.panel", "staff.login"} <= {r.endpoint for r in PAGE_RULES}
    assert set(NOT_PAGE_ENDPOINTS) <= endpoints, "an exclusion names an endpoint that is gone"
    values = {"resident_id": ["r"], "item_id": ["i"], "which": list(LISTS)}
    for rule in PAGE_RULES:
        if rule.endpoint not in ("me.record", "care.issue_status"):  # their values come from taps
            assert urls(rule, values), rule.rule
    assert {"desk.login", "staff.dashboard", "staff.resident"} <= {r.endpoint for r in DESK_PAGE_RULES}
    assert {"desk.login_wait", "desk.next_messages"} <= {r.endpoint for r in desk_app_rules()}


@pytest.mark.parametrize("rule,width,height", CASES, ids=[f"{r}@{w}x{h}" for r, w, h in CASES])
def test_page_meets_the_touch_rule(walked, rule, width, height):
    assert (rule, width, height) in walked, f"the walk never opened {rule} at {width}x{height}"
    assert walked[(rule, width, height)] == [], "\n".join(walked[(rule, width, height)])


@pytest.mark.parametrize("name", ["PIN keypad", "PIN keypad after a wrong PIN"])
@pytest.mark.parametrize("width,height", KIOSK_SIZES)
def test_pin_keypad_keys_are_64x56(walked, name, width, height):
    assert walked[(name, width, height)] == [], "\n".join(walked[(name, width, height)])


@pytest.mark.parametrize("width,height", DESK_SIZES)
def test_desk_login_with_the_pin_form(walked, width, height):
    found = walked[("desk login with the PIN form", width, height)]
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("width,height", KIOSK_SIZES)
def test_her_check_in_screen_with_her_record_link(walked, width, height):
    assert walked[("her check-in", width, height)] == [], "\n".join(walked[("her check-in", width, height)])
