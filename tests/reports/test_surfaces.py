"""Every surface shows the published report's cells: the page table, the CSV and the
printed summary agree cell by cell; the chart has 12 months, both languages and a text
alternative; nothing contains a resident's name or birth date."""

from __future__ import annotations

import csv
import io
import re

import pytest

from kiosk.county.domain.periods import is_month
from kiosk.county.domain.published import Freshness, PublishedReport, publish
from kiosk.county.export.chart import month_chart
from kiosk.county.export.csv_report import report_csv
from kiosk.county.export.html_tables import html_table
from kiosk.county.export.summary import monthly_summary
from kiosk.county.export.tables import table
from kiosk.county.projections.report_rows import MemoryReportRows
from kiosk.county.projections.reports import ReportProjection
from tests.reports.histories import STATIONS, county_events, private_words

CELL = re.compile(r'<td(?: class="hidden")? data-cell="([^"]+)"[^>]*>([^<]*)</td>')


@pytest.fixture(scope="module")
def report() -> PublishedReport:
    rows, projection = MemoryReportRows(), ReportProjection()
    for station, events in county_events(0).items():
        rows.save(projection.apply(rows, station, events))
    return publish(rows.counts("2026-01", "2026-12"), 2026, STATIONS,
                   consent_before=rows.counts_before("consent_in_force", "2026-01"),
                   freshness=[Freshness(s, "2026-02-01T08:00:00Z", 1300, 1320) for s in STATIONS])


def html_cells(html: str) -> dict[tuple[str, ...], str]:
    from html import unescape
    return {tuple(unescape(k).split("|")): unescape(v) for k, v in CELL.findall(html)}


def published(report: PublishedReport, key: tuple[str, ...]) -> str:
    from kiosk.county.domain.published import SeriesKey
    return report.text(SeriesKey(*key[:4]), key[4], key[5])


def test_page_csv_and_summary_agree_cell_by_cell(report):
    page = html_cells(html_table(report, table(report)))
    assert len(page) > 1000 and any(v.startswith("<") for v in page.values())
    assert all(published(report, k) == v for k, v in page.items())
    lines = list(csv.reader(io.StringIO(report_csv(report).decode("utf-8-sig"))))
    head, body = lines[0], lines[1:]
    assert head[0] == "指标 / Indicator" and head[4] == "服务站 / Station"
    laid_out = table(report)
    assert len(body) == len(laid_out.rows)
    for line, row in zip(body, laid_out.rows, strict=True):
        for column, text in zip(laid_out.columns, line[5:], strict=True):
            key = (*row.series, row.row, column)
            if text:
                assert page[key] == text
    for station in STATIONS:
        summary = monthly_summary(report, station, "2026-01")
        cells = html_cells(summary)
        assert cells and all(page[k] == v for k, v in cells.items())


def test_csv_starts_with_a_bom_and_hides_small_counts_as_on_the_page(report):
    data = report_csv(report)
    assert data.startswith("\ufeff".encode())
    texts = {cell for line in list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:] for cell in line[5:]}
    assert texts <= {""} | {str(n) for n in range(0, 100000)} | {"<5", "*"}
    assert not texts & {"1", "2", "3", "4"}


def test_summary_is_one_a4_page_under_200_kb(report):
    for station in STATIONS:
        page = monthly_summary(report, station, "2026-01", generated="2026-02-01")
        assert "@page { size: A4" in page and len(page.encode()) < 200_000
        assert "<script" not in page and "任何报表都不统计拒绝" in page


def test_chart_has_twelve_months_both_languages_and_a_text_alternative(report):
    series = report.series[0]
    svg = month_chart(report, series, STATIONS[0])
    assert svg.count("月</text>") == 12 and "Jan" in svg and "签到人次 / Check-ins" in svg
    assert re.search(r"<desc id=\"[^\"]+\">2026-01: [^;]+;", svg)
    for month in [c for c in report.columns[series] if is_month(c)]:
        if report.hidden(series, STATIONS[0], month):  # a fixed-height hatched bar, its mark
            assert f"<title>{month}: &lt;5</title>" in svg or f"<title>{month}: *</title>" in svg


def test_no_output_names_a_resident_or_her_birth_date(report):
    from kiosk.county.export.reports_doc import render
    words = private_words(0)
    assert len(words) > 50
    outputs = [report_csv(report).decode("utf-8-sig"), html_table(report, table(report)), render()]
    outputs += [monthly_summary(report, s, "2026-01") for s in STATIONS]
    outputs += [month_chart(report, k, r) for k in report.series[:20] for r in report.rows]
    text = "\n".join(outputs)
    assert not [w for w in words if w in text]
