"""The published report laid out as tables of text: what pages, the CSV and the summary show.

Every renderer takes its cells from ``PublishedReport.text`` through these functions, so a
cell reads the same on every surface. Labels are "中文 / English" (kiosk.i18n).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from kiosk.county.domain.clock import parse_stamp
from kiosk.county.domain.published import PublishedReport, SeriesKey
from kiosk.county.domain.reports import BY_KEY, COUNTY, item_title, plan_title
from kiosk.i18n import bilingual

COUNTY_LABEL = "County"


@dataclass(frozen=True)
class TableRow:
    series: SeriesKey
    row: str  # a station id, or "" for the county
    labels: tuple[str, ...]  # indicator, plan, item, category, station (translated)
    cells: tuple[str, ...]  # one text per column of the table ("" where the series has none)


@dataclass(frozen=True)
class ReportTable:
    columns: tuple[str, ...]
    rows: tuple[TableRow, ...]


def all_columns(report: PublishedReport) -> tuple[str, ...]:
    """Every column any series has, months first: 12 months, 4 quarters, the year."""
    longest = max(report.columns.values(), key=len, default=())
    return tuple(longest)


def category_title(key: SeriesKey, report: PublishedReport) -> str:
    indicator = BY_KEY[key.indicator]
    if indicator.breakdown == "plan":
        if indicator.total and key.category == indicator.total.key:
            return bilingual(indicator.total.title)
        return plan_title(key.category, dict(report.plan_names))
    for category in (*indicator.categories, *((indicator.total,) if indicator.total else ())):
        if category.key == key.category:
            return bilingual(category.title)
    return key.category


def series_labels(key: SeriesKey, report: PublishedReport) -> tuple[str, str, str, str]:
    """(indicator, plan, item, category) as people read them."""
    return (bilingual(BY_KEY[key.indicator].title),
            plan_title(key.plan, dict(report.plan_names)) if key.plan else "",
            item_title(key.plan, key.item, dict(report.item_names)) if key.item else "",
            category_title(key, report) if key.category else "")


def row_label(row: str) -> str:
    return bilingual(COUNTY_LABEL) if row == COUNTY else row


def table(report: PublishedReport, rows: tuple[str, ...] | None = None,
          series: tuple[SeriesKey, ...] | None = None, texts: bool = True) -> ReportTable:
    """Every series (or those given) for the rows given (default: every station and the
    county), one table row per (series, row); ``texts=False`` leaves the cells out (the
    HTML tables read them from the report themselves)."""
    columns = all_columns(report)
    out = []
    for key in series or report.series:
        has = set(report.columns[key])
        labels = series_labels(key, report)
        for row in rows if rows is not None else report.rows:
            cells = tuple(report.text(key, row, c) if c in has else "" for c in columns) \
                if texts else ()
            out.append(TableRow(key, row, (*labels, row_label(row)), cells))
    return ReportTable(columns, tuple(out))


def column_label(column: str) -> str:
    """"2026-03" -> "2026-03"; "2026-Q1" -> "2026 Q1"; "2026" -> "2026 全年 / Whole year"."""
    if len(column) == 4:
        return f"{column} {bilingual('Whole year')}"
    return column.replace("-Q", " Q")


def local_time(stamp: str | None, timezone: str) -> str:
    """A stored UTC stamp as the report zone's "2026-12-01 10:00" ("—" for none)."""
    when = parse_stamp(stamp)
    return "—" if when is None else when.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
