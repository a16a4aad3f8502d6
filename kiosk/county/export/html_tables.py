"""The report's tables as HTML fragments for the pages and the printed summary.

Each cell carries ``data-cell="indicator|plan|item|category|row|column"`` so a test (or a
reader's script) can check it against the published report; hidden cells also carry a
class (the page's legend says what "<5" and "*" mean). Labels read "中文 / English" with
the English part marked as English (WCAG 2.1 3.1.2, language of parts).
"""

from __future__ import annotations

import re
from html import escape

from kiosk.county.domain.published import PublishedReport, SeriesKey
from kiosk.county.export.tables import ReportTable, column_label

HAN = re.compile(r"[\u3400-\u9fff]")
ALL_LABELS = (0, 1, 2, 3, 4)  # indicator, plan, item, category, station


def both(text: str) -> str:
    """Escaped "中文 / English", its English part in ``<span lang="en">``."""
    chinese, sep, english = text.partition(" / ")
    if sep and english and not HAN.search(english):
        return f'{escape(chinese)} <span lang="en">/ {escape(english)}</span>'
    return escape(text)


def cell_key(series: SeriesKey, row: str, column: str) -> str:
    return "|".join((*series, row, column))


def td(report: PublishedReport, series: SeriesKey, row: str, column: str) -> str:
    return _td(report.cell(series, row, column), escape(cell_key(series, row, column)))


def _td(value: int | str, key: str) -> str:
    """A cell: its number, or its mark (a hidden cell; the legend beside the table says why)."""
    if isinstance(value, str):
        return f'<td class="hidden" data-cell="{key}">{escape(value)}</td>'
    return f'<td data-cell="{key}">{value}</td>'


def html_table(report: PublishedReport, laid_out: ReportTable, label_columns: int = 5,
               caption: str = "", labels: tuple[int, ...] | None = None,
               heads: tuple[str, ...] = ()) -> str:
    """A ``<table>``: each row's labels (the first ``label_columns``, or those at the indexes
    ``labels``; ``heads`` names their columns), then its cells."""
    chosen = labels if labels is not None else ALL_LABELS[:label_columns]
    columns = "".join(f'<th scope="col">{both(column_label(c))}</th>' for c in laid_out.columns)
    label_heads = "".join(f'<th scope="col">{both(h)}</th>' for h in heads) if heads else \
        "<td></td>" * len(chosen)
    parts = ['<table class="report">']
    if caption:
        parts.append(f"<caption>{both(caption)}</caption>")
    parts.append(f"<thead><tr>{label_heads}{columns}</tr></thead><tbody>")
    cells_of, escaped = report.cells, [(c, escape(c)) for c in laid_out.columns]
    for row in laid_out.rows:
        names = "".join(f'<th scope="row">{both(row.labels[i])}</th>' for i in chosen)
        has = set(report.columns[row.series])
        prefix = escape(cell_key(row.series, row.row, ""))  # one escape per row, not per cell
        cells = "".join(_td(cells_of.get((row.series, row.row, c), 0), prefix + e)
                        if c in has else "<td></td>" for c, e in escaped)
        parts.append(f"<tr>{names}{cells}</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)
