"""`kiosk demo` with its county, as a newcomer runs it: the demo starts with its county and
three seeded stations, the station syncs to it over loopback HTTP, a tap on a demo card
reaches the county's numbers after the next sync, the demo panel's county link opens a
signed-in county page in Chromium (and the one-time link works once) where the officer sees
the charts, opens a seeded neighbour's page, downloads both CSVs and opens a printable
summary, none of which holds a name or birth date of any station's resident and in none of
which a cell reads 1 to 4 (they read "<5"), and a second start
reuses what the first one seeded. The report publisher runs as under `kiosk-county serve`:
the station page's report counts the tap a few seconds after the push, and no report page,
CSV or summary holds a name or birth date the station knows. One demo process for all of it
(a first start seeds a year), then a second on the same state directory. The figures give
each start's wall time and its CPU time (the second tells a loaded machine from a slow
start)."""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kiosk.store.database import connect_readonly

pytestmark = [pytest.mark.pcsc, pytest.mark.browser]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
STATIONS = ("demo-station", "qingshi-01", "liuhe-01")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"


class Demo:
    """A `kiosk demo` process: its output lines (read by a thread) and the addresses it printed."""

    def __init__(self, state: Path):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("PCSCLITE_CSOCK_NAME", None)  # the demo starts its own pcscd
        self.state, self.lines = state, []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "demo", "--state-dir", str(state)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
            text=True)
        threading.Thread(target=self._read, daemon=True).start()
        ready = self.wait_for("Demo ready in", 240)
        self.ready_seconds = float(re.search(r"Demo ready in ([\d.]+) s", ready).group(1))
        self.cpu_seconds = self.cpu()
        self.panel = self.address("Demo panel")
        self.county = self.address("County pages")

    def cpu(self) -> float:
        """The demo process's CPU time so far (what a start costs, whatever else the machine
        is doing)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = next((line for line in self.lines if text in line), None)
            if found:
                return found
            assert self.proc.poll() is None, "".join(self.lines)
            time.sleep(0.2)
        raise AssertionError(f"no {text!r} within {timeout} s:\n" + "".join(self.lines))

    def address(self, label: str) -> str:
        return re.search(r"(http://127\.0\.0\.1:\d+/\S*)", self.wait_for(label, 5)).group(1)

    def head(self) -> int:
        """The station's own newest seq (read-only, beside its one writer)."""
        db = connect_readonly(self.state / "kiosk.db")
        try:
            return int(db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0])
        finally:
            db.conn.close()

    def roster_cursor(self) -> str:
        """Where the station's roster pull stands (other stations' positions)."""
        db = connect_readonly(self.state / "kiosk.db")
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'roster_cursor'").fetchone()
            return row[0] if row else ""
        finally:
            db.conn.close()

    def post(self, path: str) -> int:
        request = urllib.request.Request(self.panel + path, method="POST",
                                         headers={"X-Kiosk-Demo": "1"}, data=b"")
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def officer(demo: Demo):
    """A browser-like client signed in through the panel's link (checking the link is one-time)."""
    plain = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        plain.open(demo.panel + "county?next=/metrics", timeout=10)
    link = answer.value.headers["Location"]
    assert link.startswith(demo.county + "demo-login/"), link
    jar = http.cookiejar.CookieJar()
    client = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with client.open(link, timeout=10) as response:
        assert response.url == demo.county + "metrics"
    with pytest.raises(urllib.error.HTTPError) as again:
        urllib.request.urlopen(link, timeout=10)
    assert again.value.code == 403  # used once
    return client


def stored(client, demo: Demo) -> dict[str, int]:
    """The county's stored events per station, from its /metrics."""
    with client.open(demo.county + "metrics", timeout=10) as response:
        text = response.read().decode()
    return {m[0]: int(m[1]) for m in
            re.findall(r'kiosk_county_events_stored\{station="([^"]+)"\} (\d+)', text)}


def wait_synced(client, demo: Demo, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        head, held = demo.head(), stored(client, demo).get("demo-station", 0)
        if held == head:
            return head
        time.sleep(0.5)
    raise AssertionError(f"county holds {held} of the station's {head} events")


FRESHNESS = re.compile(r'demo-station(?:</a>)?</th><td>[^<]*</td><td[^>]*>[^<]*</td>'
                       r'<td>(\d+)</td><td>(\d+)</td>')


def report_counts(client, demo: Demo) -> int | None:
    """The demo station's events its page's published report counts (the freshness table)."""
    with client.open(demo.county + "reports/stations/demo-station", timeout=30) as response:
        found = FRESHNESS.search(response.read().decode())
    return int(found.group(1)) if found else None


def private_words(demo: Demo) -> set[str]:
    """Every name and birth date the demo station holds (its own residents, its visitors),
    and every one the county holds from the seeded stations' registrations."""
    db = connect_readonly(demo.state / "kiosk.db")
    try:
        words = {r[0] for r in db.execute(
            "SELECT name FROM residents UNION SELECT birth_date FROM residents "
            "WHERE birth_date IS NOT NULL").fetchall()}
    finally:
        db.conn.close()
    county = connect_readonly(demo.state / "county" / "county.db")
    try:
        for (payload,) in county.execute("SELECT payload FROM events WHERE type = "
                                         "'resident.registered'").fetchall():
            registered = json.loads(payload)
            words |= {registered[k] for k in ("name", "birth_date")
                      if isinstance(registered.get(k), str) and len(registered[k]) >= 2}
    finally:
        county.conn.close()
    return words


def no_resident_in_the_reports(client, demo: Demo) -> None:
    """The demo county's overview, the demo station's page, both CSVs and last month's
    printable summary: counts only, no name or birth date the station holds, small counts
    read "<5"."""
    month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    texts = []
    for path in ("reports", "reports/export.csv", "reports/stations/demo-station",
                 "reports/stations/demo-station/export.csv",
                 f"reports/stations/demo-station/summary?year={month[:4]}&month={month}"):
        with client.open(demo.county + path, timeout=60) as response:
            texts.append(response.read().decode("utf-8-sig"))
    words = private_words(demo)
    assert len(words) > 300, len(words)  # the three stations' residents
    text = "\n".join(texts)
    assert not [w for w in words if w in text]
    assert "&lt;5" in texts[0] and "<5" in texts[1]


CELLS = """() => Object.fromEntries([...document.querySelectorAll('td[data-cell]')]
    .map(td => [td.dataset.cell, td.textContent]))"""


def small_counts_read_under_5(cells: dict[str, str]) -> None:
    values = set(cells.values())
    assert "<5" in values and not values & {"1", "2", "3", "4"}, sorted(values)[:20]


def reports_in_chromium(county, demo: Demo) -> None:
    """On the reports page the demo officer opened: the charts, a seeded neighbour's page, both
    CSVs downloaded and a month's printable summary; none holds a name or birth date of any
    station's resident; no table cell reads 1 to 4."""
    import re as regex
    assert county.locator("svg.report-chart").count() >= 5
    small_counts_read_under_5(county.evaluate(CELLS))
    texts = [county.content()]
    with county.expect_download() as download:
        county.get_by_role("link", name=regex.compile("下载 CSV")).click()
    texts.append(download.value.path().read_bytes().decode("utf-8-sig"))
    county.get_by_role("link", name=STATIONS[1], exact=True).first.click()
    county.wait_for_url(regex.compile(rf".*/reports/stations/{STATIONS[1]}"))
    assert county.locator("svg.report-chart").count() >= 5
    small_counts_read_under_5(county.evaluate(CELLS))
    texts.append(county.content())
    with county.expect_download() as download:
        county.get_by_role("link", name=regex.compile("下载 CSV")).click()
    texts.append(download.value.path().read_bytes().decode("utf-8-sig"))
    county.locator("a[href*='/summary']").first.click()
    county.wait_for_url(regex.compile(r".*/summary\?.*month="))
    texts.append(county.content())
    assert len(texts[-1].encode()) < 200_000
    words = private_words(demo)
    assert not [w for w in words if any(w in text for text in texts)]


def panel_link_in_chromium(demo: Demo) -> None:
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(accept_downloads=True).new_page()
            page.goto(demo.panel)
            for link, path in (("#demo-county-reports", "reports"), ("#demo-county", "")):
                with page.expect_popup() as popup:
                    page.click(link)
                county = popup.value
                county.wait_for_load_state()
                assert county.url.startswith(demo.county), county.url
                assert path in county.url and "/login" not in county.url, county.url
                text = county.inner_text("body")
                assert "demo-officer" in text and "demo-station" in text, text[:300]
                if path:
                    ARTIFACTS.mkdir(parents=True, exist_ok=True)
                    county.screenshot(path=str(ARTIFACTS / "demo_county_reports.png"),
                                      full_page=True)
                    reports_in_chromium(county, demo)
                county.close()
        finally:
            browser.close()


def test_the_demo_runs_its_county(tmp_path):
    started = time.monotonic()
    demo = Demo(tmp_path / "demo")
    try:
        print(f"figure: demo_first_start_s = {time.monotonic() - started:.1f} s "
              f"(the demo says {demo.ready_seconds:.1f} s; CPU {demo.cpu_seconds:.1f} s)")
        client = officer(demo)
        held = stored(client, demo)
        assert set(held) == set(STATIONS), held
        assert all(held[s] > 4000 for s in STATIONS[1:]), held  # a seeded year each
        head = wait_synced(client, demo)  # its year was taken in at the first start

        assert demo.post("tap/wang") == 200  # a tap on the kiosk reader: wang checks in
        deadline = time.monotonic() + 30
        while demo.head() == head and time.monotonic() < deadline:
            time.sleep(0.2)
        assert demo.head() > head, "the tap wrote no check-in"
        assert demo.post("sync") == 200  # the panel's "sync now": a push over loopback HTTP
        synced, pushed = wait_synced(client, demo, 30), time.monotonic()
        assert synced > head
        # the report publisher counts the tap's events a few seconds after the push
        while (counted := report_counts(client, demo)) != synced:
            assert time.monotonic() - pushed < 90, (counted, synced)
            time.sleep(1)
        print(f"figure: demo_tap_in_report_s = {time.monotonic() - pushed:.1f} s (from the "
              "push to the station page's report counting it)")
        no_resident_in_the_reports(client, demo)
        deadline = time.monotonic() + 120  # its sync pulls the neighbours' roster over HTTP
        while not all(s in demo.roster_cursor() for s in STATIONS[1:]):
            assert time.monotonic() < deadline, demo.roster_cursor()
            time.sleep(0.5)
        print(f"figure: demo_synced_s = {time.monotonic() - started:.1f} s (a tap pushed, "
              "the roster pulled)")

        panel_link_in_chromium(demo)
    finally:
        demo.stop()
    started = time.monotonic()
    again = Demo(tmp_path / "demo")  # the same state directory: nothing to seed
    try:
        print(f"figure: demo_second_start_s = {time.monotonic() - started:.1f} s "
              f"(the demo says {again.ready_seconds:.1f} s; CPU {again.cpu_seconds:.1f} s)")
        # nothing made again: no year, the same officer, the neighbours' logs as they were
        assert not any("first start only" in line for line in again.lines)
        assert again.wait_for("Demo officer", 5) == demo.wait_for("Demo officer", 5)
        now = stored(officer(again), again)
        assert {s: now[s] for s in STATIONS[1:]} == {s: held[s] for s in STATIONS[1:]}
    finally:
        again.stop()
