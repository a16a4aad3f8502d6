"""The report pages' parts, as HTML fragments cut from the one published report: the charts
of a row (a station, or "" for the county), one table per indicator, the stations' data
freshness. The pages (kiosk/county/web/pages/reports.py) put them in their templates; every
cell comes from ``PublishedReport`` through html_tables.py, as in the CSV and the summary.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape

from kiosk.county.domain.clock import parse_stamp
from kiosk.county.domain.published import Freshness, PublishedReport, SeriesKey
from kiosk.county.domain.reports import INDICATORS, Indicator
from kiosk.county.export.chart import chart_title, month_chart
from kiosk.county.export.html_tables import both, html_table
from kiosk.county.export.tables import local_time, table
from kiosk.i18n import bilingual

# Charted on every page: the headline of each service (the enrolments' total over plans).
CHARTED = ("checkins", "residents_served", "registrations", "consent_in_force", "enrolments")
LABEL_HEADS = ("Indicator", "Plan", "Item", "Category", "Station")


@dataclass(frozen=True)
class Section:
    """One indicator's table on a page."""

    key: str
    title: str
    html: str


def charted_series(report: PublishedReport) -> list[SeriesKey]:
    found = []
    for key in report.series:
        if key.indicator in CHARTED and (key.indicator != "enrolments" or key.category == "all"):
            found.append(key)
    return found


def charts(report: PublishedReport, row: str) -> list[tuple[str, str]]:
    """(caption, SVG chart of the year's 12 months) for each headline series of ``row``."""
    return [(both(chart_title(report, key, row)), month_chart(report, key, row))
            for key in charted_series(report)]


def _labels(indicator: Indicator, rows: tuple[str, ...]) -> tuple[int, ...]:
    chosen = [0] if not (indicator.per or indicator.breakdown) else []
    chosen += [1] if indicator.per else []
    chosen += [2] if indicator.per == "item" else []
    chosen += [3] if indicator.breakdown else []
    return (*chosen, 4) if len(rows) > 1 else tuple(chosen)


def sections(report: PublishedReport, rows: tuple[str, ...],
             indicators: tuple[str, ...] | None = None) -> list[Section]:
    """One table per indicator (or those of ``indicators``: their charted series only), its
    series for ``rows``, months, quarters and the year."""
    found = []
    charted = set(charted_series(report))
    for indicator in INDICATORS:
        if indicators is not None and indicator.key not in indicators:
            continue
        keys = tuple(k for k in report.series if k.indicator == indicator.key
                     and (indicators is None or k in charted))
        if not keys:
            continue
        labels = _labels(indicator, rows)
        laid_out = table(report, rows, keys, texts=False)
        found.append(Section(indicator.key, bilingual(indicator.title), html_table(
            report, laid_out, labels=labels,
            heads=tuple(bilingual(LABEL_HEADS[i]) for i in labels))))
    return found


def days_since(stamp: str | None, now: dt.datetime) -> int | None:
    when = parse_stamp(stamp)
    return None if when is None else max((now - when).days, 0)


def freshness_table(report: PublishedReport, timezone: str, now: dt.datetime,
                    link: dict[str, str] | None = None) -> str:
    """Each station's last sync, events counted in this report, stored and not yet
    received: a low number beside a station that has not synced is not a quiet month."""
    heads = ("Station", "Last sync", "Days since last sync", "Events counted in this report",
             "Events stored", "Events not yet received")
    rows = []
    for fresh in report.freshness:
        name = escape(fresh.station_id)
        if link and fresh.station_id in link:
            name = f'<a href="{escape(link[fresh.station_id])}">{name}</a>'
        rows.append(_freshness_row(fresh, name, timezone, now))
    head = "".join(f'<th scope="col">{both(bilingual(h))}</th>' for h in heads)
    return (f'<table class="freshness"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}'
            "</tbody></table>")


def _freshness_row(fresh: Freshness, name: str, timezone: str, now: dt.datetime) -> str:
    days = days_since(fresh.last_sync, now)
    late = days is None or days >= 2
    since = "—" if days is None else str(days)
    flag = f' class="late">{since} ⚠' if late else f">{since}"
    cells = (local_time(fresh.last_sync, timezone),
             "—" if fresh.counted is None else str(fresh.counted), str(fresh.stored),
             "—" if fresh.not_received is None else str(fresh.not_received))
    return (f'<tr><th scope="row">{name}</th><td>{escape(cells[0])}</td><td{flag}</td>'
            + "".join(f"<td>{escape(c)}</td>" for c in cells[1:]) + "</tr>")
