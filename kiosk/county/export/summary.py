"""A one-page monthly summary of a station, for printing (A4, print CSS, no script, no
images, well under 200 KB): many county offices work from paper.

Its cells come from the published report (kiosk/county/export/html_tables.py), so the paper
says what the pages and the CSV say.
"""

from __future__ import annotations

from html import escape

from kiosk.county.domain.periods import DEFAULT_TIMEZONE, quarter_of
from kiosk.county.domain.published import PublishedReport, SeriesKey
from kiosk.county.domain.reports import BY_KEY, NEVER
from kiosk.county.export.html_tables import both, td
from kiosk.county.export.tables import category_title, column_label, local_time, series_labels
from kiosk.i18n import bilingual

STYLE = """
@page { size: A4; margin: 12mm; }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", sans-serif; font-size: 8pt;
       line-height: 1.15; margin: 0; }
h1 { font-size: 12pt; margin: 0 0 1.5mm; } h2 { font-size: 9.5pt; margin: 2.5mm 0 1mm; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5mm; }
th, td { border: 0.3pt solid #888; padding: 0.2mm 1.2mm; text-align: right; }
th[scope=row] { text-align: left; font-weight: normal; }
td.hidden { font-style: italic; }
p { margin: 1mm 0; } .note { font-size: 7.5pt; }
@media print { a { color: inherit; text-decoration: none; } }
"""


def _headline(report: PublishedReport, station: str, month: str) -> str:
    columns = (month, quarter_of(month), month[:4])
    rows = []
    for key in report.series:
        if key.indicator not in ("checkins", "residents_served", "registrations",
                                 "consent_in_force", "enrolments"):
            continue
        has = set(report.columns[key])
        label = " · ".join(x for x in (series_labels(key, report)[0],
                                       category_title(key, report) if key.category else "") if x)
        cells = "".join(td(report, key, station, c) if c in has else "<td></td>" for c in columns)
        rows.append(f'<tr><th scope="row">{escape(label)}</th>{cells}</tr>')
    heads = "".join(f'<th scope="col">{escape(column_label(c))}</th>' for c in columns)
    return f"<table><thead><tr><td></td>{heads}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _by_category(report: PublishedReport, station: str, month: str, indicator: str,
                 per: str) -> str:
    """One row per plan (visits) or item (windows), its categories as columns, for the month."""
    keys = [k for k in report.series if k.indicator == indicator]
    groups: dict[tuple[str, str], list[SeriesKey]] = {}
    for key in keys:
        groups.setdefault((key.plan, key.item), []).append(key)
    if not groups:
        return ""
    first = next(iter(groups.values()))
    heads = "".join(f'<th scope="col">{escape(category_title(k, report))}</th>' for k in first)
    rows = []
    for (_plan, item), members in groups.items():
        labels = series_labels(members[0], report)
        label = labels[1] + (f" · {labels[2]}" if item else "")
        cells = "".join(td(report, key, station, month) for key in members)
        rows.append(f'<tr><th scope="row">{escape(label)}</th>{cells}</tr>')
    title = bilingual(BY_KEY[indicator].title)
    return (f"<h2>{escape(title)}</h2><table><thead><tr><td></td>{heads}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def monthly_summary(report: PublishedReport, station: str, month: str, station_name: str = "",
                    generated: str = "", timezone: str = DEFAULT_TIMEZONE) -> str:
    """The printable page: headline counts for the month, its quarter and the year so far;
    visits by plan and outcome and plan windows by item for the month; data freshness."""
    if station not in report.stations or month[:4] != str(report.year):
        raise ValueError(f"no such station or month in this report: {station} {month}")
    title = f"{bilingual('Monthly service summary')} · {station_name or station} · {month}"
    fresh = next((f for f in report.freshness if f.station_id == station), None)
    freshness = ""
    if fresh is not None:
        missing = "" if fresh.not_received is None else str(fresh.not_received)
        counted = "—" if fresh.counted is None else str(fresh.counted)
        last = local_time(fresh.last_sync, timezone)
        freshness = (f"<p>{both(bilingual('Last sync'))}: {escape(last)} · "
                     f"{both(bilingual('Events counted in this report'))}: {counted} · "
                     f"{both(bilingual('Events stored'))}: {fresh.stored} · "
                     f"{both(bilingual('Events not yet received'))}: {escape(missing or '—')}</p>")
    stamp = f'<p class="note">{both(generated)}</p>' if generated else ""
    legend = bilingual("<{threshold}: fewer than {threshold}; *: hidden so that a small count "
                       "cannot be worked out", threshold=report.threshold)
    return ("<!DOCTYPE html><html lang=\"zh-Hans\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{escape(title)}</h1>{freshness}"
            f"{_headline(report, station, month)}"
            f"{_by_category(report, station, month, 'visits', 'plan')}"
            f"{_by_category(report, station, month, 'windows', 'item')}"
            f"<p class=\"note\">{escape(legend)}</p>"
            f"<p class=\"note\">{both(bilingual(NEVER))}</p>{stamp}"
            "</body></html>")
