"""Server-side checks of what staff type in; each failure names the field and a message.

Messages are English gettext msgids; the web layer shows them in Chinese and
English (tests/project/test_i18n.py checks every one is translated).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Literal, overload

from kiosk.errors import KioskError


def N_(message: str) -> str:
    """Marks a gettext msgid kept in a variable (tests/project/test_i18n.py finds and checks it)."""
    return message


class Invalid(KioskError, ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,18}[0-9]$")
PIN = re.compile(r"^[0-9]{4,8}$")  # what a login takes: older 4-digit PINs keep working
NEW_PIN = re.compile(r"^[0-9]{6,8}$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
NOTE_MAX = 500


# Bidirectional overrides and isolates can make a name display as something else.
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt, Unicode 15):
# characters that show as nothing, so two villages or names could look identical. The
# bidi marks U+200E, U+200F and U+061C are among them.
DEFAULT_IGNORABLE = ((0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
                     (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
                     (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
                     (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
                     (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF))
MAX_COMBINING_RUN = 2


def _unusable(c: str) -> bool:
    # Unassigned (Cn) and private-use (Co) code points stay allowed: names use CJK
    # characters newer than this Python's Unicode tables, and characters not yet in
    # Unicode at all are kept in the private-use area by local systems.
    return unicodedata.category(c) in ("Cc", "Cs") or c in BIDI_CONTROLS


def _invisible(c: str) -> bool:
    point = ord(c)
    return (any(low <= point <= high for low, high in DEFAULT_IGNORABLE)
            or unicodedata.bidirectional(c) in ("LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI",
                                                "FSI", "PDI"))


def _check_characters(field: str, value: str, allowed: str = "") -> None:
    """Invalid for control characters, invisible or text-direction characters, or a run of
    more than two combining marks (which stack into a blot that hides the letter)."""
    run = 0
    for c in value:
        if c in allowed:
            run = 0
            continue
        if _invisible(c):
            raise Invalid(field, "This contains invisible or text-direction characters")
        if _unusable(c):
            raise Invalid(field, "This contains characters that cannot be used")
        run = run + 1 if unicodedata.category(c).startswith("M") else 0
        if run > MAX_COMBINING_RUN:
            raise Invalid(field, "Too many accent marks on one character")


@overload
def text(field: str, value: str | None, required: Literal[True] = ..., max_len: int = ...) -> str: ...
@overload
def text(field: str, value: str | None, required: bool, max_len: int = ...) -> str | None: ...
def text(field: str, value: str | None, required: bool = True, max_len: int = 50) -> str | None:
    """Any Unicode text (rare characters included), in NFC, without control, invisible or
    text-direction characters."""
    value = unicodedata.normalize("NFC", (value or "").strip())
    if not value:
        if required:
            raise Invalid(field, "This field is required")
        return None
    if len(value) > max_len:
        raise Invalid(field, "This is too long")
    _check_characters(field, value)
    return value


@overload
def date(field: str, value: str | None, required: Literal[True] = ...,
         not_after: dt.date | None = ..., not_before: dt.date | None = ...) -> str: ...
@overload
def date(field: str, value: str | None, required: bool,
         not_after: dt.date | None = ..., not_before: dt.date | None = ...) -> str | None: ...
def date(field: str, value: str | None, required: bool = True, not_after: dt.date | None = None,
         not_before: dt.date | None = None) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise Invalid(field, "This field is required")
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid(field, "Enter a date as YYYY-MM-DD") from None
    if not_after and day > not_after:
        raise Invalid(field, "This date is in the future")
    if not_before and day < not_before:
        raise Invalid(field, "This date is too early")
    return day.isoformat()


def phone(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if not PHONE.match(value):
        raise Invalid("phone", "Enter a phone number of digits only")
    return value


def national_id(value: str | None) -> str | None:
    """An 18-character resident ID number (GB 11643 check digit), upper-cased; None if empty."""
    value = (value or "").strip().upper()
    if not value:
        return None
    if not re.fullmatch(r"[0-9]{17}[0-9X]", value):
        raise Invalid("national_id", "An ID number has 17 digits and a check digit")
    total = sum(int(d) * w for d, w in zip(value[:17], ID_WEIGHTS, strict=False))
    if "10X98765432"[total % 11] != value[17]:
        raise Invalid("national_id", "The ID number's check digit is wrong")
    return value


def pin(value: str | None) -> str:
    """A new PIN: 6 to 8 digits."""
    if not NEW_PIN.match(value or ""):
        raise Invalid("pin", "A PIN has 6 to 8 digits")
    return value or ""


def note(value: str | None) -> str:
    value = unicodedata.normalize("NFC", (value or "").strip())
    if len(value) > NOTE_MAX:
        raise Invalid("note", "A note has at most 500 characters")
    _check_characters("note", value, allowed="\n")
    return value


def choice(field: str, value: str | None, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise Invalid(field, "Choose one of the options")
    return value
