"""The service reports in Debian's Chromium, on a county seeded with three stations' signed
histories: an officer signs in, opens the overview and a station page, sees the charts,
downloads the CSV and opens the printable summary, which prints on one A4 page under
200 KB. None of it holds any seeded resident's name or birth date (each one searched for);
counts of 1 to 4 read "<5"; the page, the CSV and the summary agree cell by cell. Text
contrast at least 4.5:1, the tables' scroll regions reachable by keyboard with a visible
focus. Screenshots go to test-artifacts/screens/county_report_*.png."""

from __future__ import annotations

import csv
import io
import re
import threading

import pytest
from werkzeug.serving import make_server

from tests.county.browser_checks import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, CONTRAST
from tests.reports.histories import STATIONS, private_words

pytestmark = pytest.mark.browser
CELLS = """() => Object.fromEntries([...document.querySelectorAll('td[data-cell]')]
    .map(td => [td.dataset.cell, td.textContent]))"""


@pytest.fixture(scope="module")
def served(report_web):
    server = make_server("127.0.0.1", 0, report_web.app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield report_web, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))


def test_an_officer_reads_downloads_and_prints_the_reports(served):
    from playwright.sync_api import sync_playwright
    web, url = served
    station = STATIONS[0]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                          accept_downloads=True)
            page = context.new_page()
            page.goto(f"{url}/login")
            page.get_by_label("用户名").fill("olga")
            page.get_by_label("密码").fill(web.PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(f"{url}/reports")
            texts = [page.content()]
            assert page.locator("svg.report-chart").count() >= 5
            assert page.locator("svg.report-chart").first.is_visible()
            assert page.get_by_role("img", name="签到人次 / Check-ins").count() >= 1
            worst, where = page.evaluate(CONTRAST)
            assert worst >= 4.5, (worst, where)
            shown = page.evaluate(CELLS)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "county_report_overview.png"))
            with page.expect_download() as download:
                page.get_by_role("link", name=re.compile("下载 CSV")).click()
            county_csv = download.value.path().read_bytes()

            page.get_by_role("link", name=station, exact=True).click()
            page.wait_for_url(re.compile(rf"{url}/reports/stations/{station}"))
            texts.append(page.content())
            assert page.locator("svg.report-chart").count() >= 5
            page.locator("div.scroll[role=region]").first.focus()
            assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
            station_cells = page.evaluate(CELLS)
            page.screenshot(path=str(ARTIFACTS / "county_report_station.png"))
            with page.expect_download() as download:
                page.get_by_role("link", name=re.compile("下载 CSV")).click()
            station_csv = download.value.path().read_bytes()

            page.get_by_role("link", name="2026-03", exact=True).click()
            page.wait_for_url(re.compile(r".*/summary\?.*month=2026-03"))
            summary = page.content()
            summary_cells = page.evaluate(CELLS)
            pdf = page.pdf(format="A4", print_background=False)
            page.screenshot(path=str(ARTIFACTS / "county_report_summary.png"), full_page=True)
        finally:
            browser.close()

    assert pdf_pages(pdf) == 1  # one A4 sheet (the PDF embeds its CJK font: its size is Chromium's)
    assert len(summary.encode()) < 200_000
    texts += [summary, county_csv.decode("utf-8-sig"), station_csv.decode("utf-8-sig")]
    words = private_words(0)
    assert len(words) > 100
    leaked = [w for w in words if any(w in text for text in texts)]
    assert not leaked

    for cells in (shown, station_cells, summary_cells):
        values = set(cells.values())
        assert "<5" in values and not values & {"1", "2", "3", "4"}
    for key, text in summary_cells.items():  # the paper says what the station page says
        assert station_cells[key] == text, key
    for key, text in shown.items():  # and the overview too, where they show the same cell
        assert station_cells.get(key, text) == text, key

    report = web.services.reports.published(2026).report
    from kiosk.county.export.tables import table
    for data, rows in ((county_csv, report.rows), (station_csv, (station,))):
        lines = csv_rows(data)
        laid_out = table(report, rows)
        assert len(lines) - 1 == len(laid_out.rows)
        for line, row in zip(lines[1:], laid_out.rows, strict=True):
            for column, text in zip(laid_out.columns, line[5:], strict=True):
                key = "|".join((*row.series, row.row, column))
                if key in station_cells:
                    assert station_cells[key] == text, key
                if key in shown:
                    assert shown[key] == text, key
                assert text in ("", "<5", "*") or (text.isdigit() and int(text) not in (1, 2, 3, 4))
