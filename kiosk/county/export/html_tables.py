"""The report's tables as HTML fragments for the pages and the printed summary.

Each cell carries ``data-cell="indicator|plan|item|category|row|column"`` so a test (or a
reader's script) can check it against the published report; hidden cells also carry a
class and a title that says why the number is not shown.
"""

from __future__ import annotations

from html import escape

from kiosk.county.domain.published import PublishedReport, SeriesKey
from kiosk.county.export.tables import ReportTable, column_label
from kiosk.i18n import bilingual


def cell_key(series: SeriesKey, row: str, column: str) -> str:
    return "|".join((*series, row, column))


def td(report: PublishedReport, series: SeriesKey, row: str, column: str) -> str:
    text = report.text(series, row, column)
    key = escape(cell_key(series, row, column))
    if report.hidden(series, row, column):
        why = bilingual("Hidden: a small count, or a number that would give one away")
        return f'<td class="hidden" data-cell="{key}" title="{escape(why)}">{escape(text)}</td>'
    return f'<td data-cell="{key}">{escape(text)}</td>'


def html_table(report: PublishedReport, laid_out: ReportTable, label_columns: int = 5,
               caption: str = "") -> str:
    """A ``<table>``: the first ``label_columns`` labels of each row, then its cells."""
    heads = "".join(f'<th scope="col">{escape(column_label(c))}</th>' for c in laid_out.columns)
    parts = ['<table class="report">']
    if caption:
        parts.append(f"<caption>{escape(caption)}</caption>")
    parts.append(f"<thead><tr>{'<td></td>' * label_columns}{heads}</tr></thead><tbody>")
    for row in laid_out.rows:
        labels = "".join(f'<th scope="row">{escape(label)}</th>'
                         for label in row.labels[:label_columns])
        has = set(report.columns[row.series])
        cells = "".join(td(report, row.series, row.row, c) if c in has else "<td></td>"
                        for c in laid_out.columns)
        parts.append(f"<tr>{labels}{cells}</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)
