"""The report as CSV: UTF-8 with a BOM (so spreadsheets open Chinese text), headers in
Chinese then English, one row per (series, station), the same cells as every other surface."""

from __future__ import annotations

import csv
import io

from kiosk.county.domain.published import PublishedReport
from kiosk.county.export.tables import column_label, table
from kiosk.i18n import bilingual

BOM = "\ufeff"
HEADERS = ("Indicator", "Plan", "Item", "Category", "Station")


def headers(columns: tuple[str, ...]) -> list[str]:
    return [bilingual(h) for h in HEADERS] + [column_label(c) for c in columns]


def report_csv(report: PublishedReport, rows: tuple[str, ...] | None = None) -> bytes:
    """Every series for ``rows`` (default: every station and the county). Hidden cells read
    as on the pages ("<5", "*"); nothing starts like a spreadsheet formula."""
    laid_out = table(report, rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers(laid_out.columns))
    for row in laid_out.rows:
        writer.writerow([*row.labels, *row.cells])
    return (BOM + buffer.getvalue()).encode("utf-8")
