"""The officer's report pages over seeded signed histories (Flask's test client): the
overview and a station page carry 12-month charts in both languages with a text
alternative, tables and data freshness; the pages, the CSV and the printed summaries show
the published report cell by cell, small counts as "<5"; no output holds a resident's name or
birth date; every view and export is in the audit trail; a bad year, station or month is 404."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest

from kiosk.county.domain.published import SeriesKey
from tests.reports.histories import STATIONS, private_words

CELL = re.compile(r'<td(?: class="hidden")? data-cell="([^"]+)"[^>]*>([^<]*)</td>')
MONTHS = [f"2026-{m:02d}" for m in range(1, 5)]


def cells(html: str) -> dict[tuple[str, ...], str]:
    return {tuple(unescape(k).split("|")): unescape(v) for k, v in CELL.findall(html)}


def csv_cells(data: bytes) -> dict[tuple[str, ...], str]:
    """(indicator, plan, item, category, row, column) -> text, by the CSV's own labels
    matched back to the published report's series (the labels are what a person reads)."""
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    return {tuple(line[:5]) + (column,): text for line in lines[1:]
            for column, text in zip(lines[0][5:], line[5:], strict=True) if text}


@pytest.fixture(scope="module")
def officer(report_web):
    client = report_web.client("10.0.9.1")
    assert report_web.login(client, "olga").status_code == 302
    return client


@pytest.fixture(scope="module")
def outputs(report_web, officer):
    """Every report surface an officer reaches, fetched once."""
    found = {"overview": officer.get("/reports"), "csv": officer.get("/reports/export.csv")}
    for station in STATIONS:
        found[station] = officer.get(f"/reports/stations/{station}")
        found[f"{station}.csv"] = officer.get(f"/reports/stations/{station}/export.csv")
        for month in MONTHS:
            found[f"{station}.{month}"] = officer.get(
                f"/reports/stations/{station}/summary?month={month}")
    assert all(r.status_code == 200 for r in found.values()), \
        {k: r.status_code for k, r in found.items()}
    return {k: r.data for k, r in found.items()}


def test_the_pages_have_charts_tables_and_freshness(outputs):
    for name in ("overview", STATIONS[0]):
        page = outputs[name].decode()
        charts = re.findall(r'<svg [^>]*role="img"[^>]*>.*?</svg>', page, re.S)
        assert len(charts) >= 5
        for svg in charts:  # 12 months, both languages, a text alternative
            assert svg.count("月</text>") == 12 and "Jan" in svg and "Dec" in svg
            assert re.search(r"<title id=[^>]+>[^<]*[\u4e00-\u9fff][^<]* / [A-Z]", svg)
            assert re.search(r"<desc id=[^>]+>2026-01: [^;]+;.*2026-12: ", svg)
        assert "数据新鲜度" in page and "Events not yet received" in page
        assert '<table class="report">' in page and "As of" in page
    assert all(f'href="/reports/stations/{s}?year=2026"' in outputs["overview"].decode()
               for s in STATIONS)


def test_pages_csv_and_summaries_agree_cell_by_cell(report_web, outputs):
    report = report_web.services.reports.published(2026).report
    shown: dict[tuple[str, ...], str] = {}
    for name in ("overview", *STATIONS, *(f"{s}.{m}" for s in STATIONS for m in MONTHS)):
        for key, text in cells(outputs[name].decode()).items():
            assert shown.setdefault(key, text) == text, key  # one number per cell everywhere
            assert report.text(SeriesKey(*key[:4]), key[4], key[5]) == text, key
    assert len(shown) > 5000
    assert any(t == "<5" for t in shown.values()) and not {"1", "2", "3", "4"} & set(shown.values())
    from kiosk.county.export.tables import table
    laid_out = table(report)
    by_label = {(*row.labels, column): (row.series, row.row, column)
                for row in laid_out.rows for column in laid_out.columns}
    from kiosk.county.export.tables import column_label
    labels = {column_label(c): c for c in laid_out.columns}
    exported = csv_cells(outputs["csv"])
    for station in STATIONS:
        exported.update(csv_cells(outputs[f"{station}.csv"]))
    assert len(exported) > 5000
    for (*row_labels, column), text in exported.items():
        series, row, col = by_label[(*row_labels, labels[column])]
        assert report.text(series, row, col) == text
        key = (*series, row, col)
        assert shown.get(key, text) == text
    assert not {"1", "2", "3", "4"} & set(exported.values())


def test_no_output_names_a_resident_or_her_birth_date(outputs):
    words = private_words(0)
    assert len(words) > 100
    text = "\n".join(data.decode("utf-8-sig") for data in outputs.values())
    assert not [w for w in words if w in text]


def test_the_summary_is_one_printable_page_under_200_kb(outputs):
    for station in STATIONS:
        page = outputs[f"{station}.2026-03"]
        assert len(page) < 200_000 and b"@page { size: A4" in page and b"<script" not in page


def test_every_view_and_export_is_in_the_audit_trail(report_web, officer):
    before = report_web.services.audit.entries(1)[0].id
    officer.get("/reports?year=2025")
    officer.get(f"/reports/stations/{STATIONS[1]}/export.csv")
    officer.get(f"/reports/stations/{STATIONS[1]}/summary?month=2026-02")
    entries = [e for e in report_web.services.audit.entries(10) if e.id > before]
    assert [(e.action, e.actor, e.subject, e.detail) for e in reversed(entries)] == [
        ("report.viewed", "olga", "2025 county", ""),
        ("report.exported", "olga", f"2026 station {STATIONS[1]}", "csv"),
        ("report.exported", "olga", f"2026 station {STATIONS[1]} 2026-02", "summary")]


@pytest.mark.parametrize("path", ["/reports?year=1999", "/reports/stations/nowhere",
                                  "/reports/stations/st-east?year=3000",
                                  "/reports/stations/st-east/summary?month=2025-03"])
def test_a_year_station_or_month_without_a_report_is_not_found(officer, path):
    assert officer.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/reports?year=abc", "/reports?year=" + "9" * 5000,
                                  "/reports?year=%C2%B2%C2%B2%C2%B2%C2%B2", "/reports?year=0",
                                  "/reports?year=2026&year=2025", "/reports/export.csv?year=-1",
                                  "/reports/stations/st-east/summary?month=2026-13",
                                  "/reports/stations/st-east/summary?month=2026-03&month=2026-04",
                                  "/reports/stations/st-east/summary"])
def test_a_malformed_year_or_month_is_a_bad_request(officer, path):
    assert officer.get(path).status_code == 400
