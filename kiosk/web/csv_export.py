"""CSV cells for the working-list export: numbers stay numbers, and text a spreadsheet
would run as a formula (=, +, -, @, tab, CR first) is shown instead, with a leading '."""

from __future__ import annotations

import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"[+-][0-9][0-9 .-]*")  # -4, +86 138 0013 8000: nothing to run


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
