"""A series' months as a server-rendered SVG bar chart (no script, no CDN), both languages,
with a text alternative: the station's chart (kiosk/chart.py) draws every count as a bar;
this one must not, because a hidden cell drawn to height would give its number away. A
hidden month is a hatched bar of fixed height labelled with its mark ("<5", "*").
"""

from __future__ import annotations

import hashlib
from html import escape

from kiosk.county.domain.periods import is_month
from kiosk.county.domain.published import PublishedReport, SeriesKey
from kiosk.county.export.tables import row_label, series_labels
from kiosk.i18n import bilingual

MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def chart_title(report: PublishedReport, series: SeriesKey, row: str) -> str:
    return " · ".join(x for x in (*series_labels(series, report), row_label(row)) if x)


def text_alternative(report: PublishedReport, series: SeriesKey, row: str) -> str:
    """The chart in words: "2026-01: 12; 2026-02: <5; ..." (what a screen reader says)."""
    months = [c for c in report.columns[series] if is_month(c)]
    return "; ".join(f"{m}: {report.text(series, row, m)}" for m in months)


def month_chart(report: PublishedReport, series: SeriesKey, row: str, width: int = 640,
                height: int = 150) -> str:
    """The 12 months of the report's year for one series and one row (a station or ""):
    each month's number above its bar, the month below in both languages."""
    months = [c for c in report.columns[series] if is_month(c)]
    shown = [v for m in months if isinstance(v := report.cell(series, row, m), int)]
    top = max(shown, default=0) or 1
    bar, base = width / len(months), height + 22
    title, desc = chart_title(report, series, row), text_alternative(report, series, row)
    ident = "c" + hashlib.sha256("|".join((*series, row)).encode()).hexdigest()[:10]
    hidden = any(not isinstance(report.cell(series, row, m), int) for m in months)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {base + 56}" '
             f'role="img" class="report-chart" aria-labelledby="{ident}t {ident}d">'
             f'<title id="{ident}t">{escape(title)}</title><desc id="{ident}d">{escape(desc)}</desc>'
             f'<defs><pattern id="{ident}h" width="6" height="6" patternUnits="userSpaceOnUse" '
             f'patternTransform="rotate(45)"><rect width="2" height="6" fill="#767676"/></pattern>'
             '</defs>']
    for n, month in enumerate(months):
        value = report.cell(series, row, month)
        x, middle = n * bar, n * bar + bar / 2
        if isinstance(value, int):
            h = round(value / top * height)
            parts.append(f'<rect x="{x + 3:.1f}" y="{base - h}" width="{bar - 6:.1f}" height="{h}" '
                         f'fill="#2f6f9f"><title>{month}: {value}</title></rect>')
            mark, y = str(value), base - h - 5
        else:  # a fixed height: a hidden month's bar never gives its number away
            parts.append(f'<rect x="{x + 3:.1f}" y="{base - 14}" width="{bar - 6:.1f}" height="14" '
                         f'fill="url(#{ident}h)" stroke="#767676"><title>{month}: {escape(value)}'
                         '</title></rect>')
            mark, y = value, base - 19
        parts.append(f'<text x="{middle:.1f}" y="{y}" text-anchor="middle" font-size="13">'
                     f'{escape(mark)}</text>'
                     f'<text x="{middle:.1f}" y="{base + 17}" text-anchor="middle" font-size="13">'
                     f'{int(month[5:])}月</text>'
                     f'<text x="{middle:.1f}" y="{base + 32}" text-anchor="middle" font-size="12">'
                     f'{MONTHS_EN[int(month[5:]) - 1]}</text>')
    if hidden:
        parts.append(f'<text x="4" y="{base + 52}" font-size="12">{escape(bilingual("Hidden"))}: '
                     f'{escape(f"<{report.threshold}")}, *</text>')
    parts.append("</svg>")
    return "".join(parts)
