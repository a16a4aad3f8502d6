"""The working list as a CSV file a technician opens in a spreadsheet (WPS, Excel).

Headers in the technician's language (Chinese by default, through gettext), UTF-8 with a byte
order mark (so a spreadsheet reads the Chinese as such), ``days overdue`` only for items that
are overdue. Cells: numbers stay numbers, and text a spreadsheet would run as a formula (=, +,
-, @, tab, CR first) is shown instead, with a leading '."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable

from flask_babel import gettext

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"[+-][0-9][0-9 .-]*")  # -4, +86 138 0013 8000: nothing to run
BOM = "\ufeff"
# (row key, header msgid), in the file's column order
COLUMNS = (("resident_id", "Resident ID"), ("name", "Name"), ("village", "Village"),
           ("phone", "Phone"), ("title", "Service"), ("earliest", "Window opens"),
           ("due", "Due"), ("latest", "Window closes"), ("appointment", "Appointment"),
           ("days_overdue", "Days overdue"))


def safe_cell(value) -> int | float | str:
    """A CSV cell that a spreadsheet will not run as a formula. Numbers stay numbers; only
    text starting like a formula gets a leading apostrophe, unless it is a signed number or
    phone number, which holds no function or link for a spreadsheet to call."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _SIGNED_NUMBER.fullmatch(text):
        return "'" + text
    return text


def work_list_csv(rows: Iterable[dict], title: Callable[[dict], str]) -> str:
    """The file's text: the BOM, one header row, one row per item (``title``: the item's
    title in the reader's language)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([gettext(header) for _key, header in COLUMNS])
    for row in rows:
        shown = {**row, "title": title(row)}
        writer.writerow([safe_cell(shown.get(key)) for key, _header in COLUMNS])
    return BOM + out.getvalue()
