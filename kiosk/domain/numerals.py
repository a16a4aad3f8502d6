"""Numbers as a Mandarin listener expects to hear them, for the spoken queue calls.

A speech engine left to read digits gets them wrong in ways that change the number: Debian
12's espeak-ng reads "105" as 一百五 (which a listener hears as 150). So the sentence is
written with Chinese numerals here, before any engine sees it, by these rules:

- Zeros inside a number are said once: 105 一百零五, 1005 一千零五, 1050 一千零五十,
  10005 一万零五; zeros at the end are not said: 100 一百, 1000 一千.
- A ten at the start of a number is 十, elsewhere 一十: 10 十, 12 十二, 110 一百一十,
  100010 十万零一十.
- 二 or 两: 两 only for a 2 that starts the number before 百, 千 or 万 (200 两百, 2000 两千,
  20000 两万, 2200 两千二百), as the numbers are said aloud in daily speech; everywhere else
  二 (2 二, 12 十二, 20 二十, 1200 一千二百). So the caller says "二号" for number 2, as
  every Chinese queue does, and "两百零五号" for 205.
- Digits inside a room name (free text) are read the way room numbers are said: one or two
  digits as a number (诊室1 诊室一, 12 诊室 十二诊室), three or more, or any that start with 0,
  digit by digit (302 诊室 三零二诊室, 01 零一).

Pure functions with no outside library, so the domain's tests cover every number.
"""

from __future__ import annotations

import re

DIGITS = "零一二三四五六七八九"
UNITS = ("千", "百", "十", "")
LARGEST = 10**8 - 1  # 九千九百九十九万...: far above any queue or room number
_DIGIT_RUN = re.compile(r"\d+")  # str patterns match every Unicode decimal digit (full-width too)


def chinese_numeral(number: int) -> str:
    """The number as said in Mandarin (0 <= number <= 99,999,999): 105 一百零五."""
    if not 0 <= number <= LARGEST:
        raise ValueError(f"{number} is outside 0..{LARGEST}")
    if number == 0:
        return DIGITS[0]
    high, low = divmod(number, 10000)
    said = _group(high) + "万" if high else ""
    if low:
        if high and low < 1000:  # 10005 一万零五: the empty thousands are said as 零
            said += DIGITS[0]
        said += _group(low)
    if said.startswith("一十"):  # 十二, 十万; but 一百一十 keeps its 一
        said = said[1:]
    if said[0] == "二" and said[1:2] in ("百", "千", "万"):
        said = "两" + said[1:]
    return said


def _group(group: int) -> str:
    """1..9999 with its inner zeros said once and its trailing zeros silent."""
    said, gap = "", False
    for digit, unit in zip((int(d) for d in f"{group:04d}"), UNITS, strict=True):
        if digit == 0:
            gap = bool(said)
            continue
        if gap:
            said += DIGITS[0]
            gap = False
        said += DIGITS[digit] + unit
    return said


def digit_by_digit(digits: str) -> str:
    """"302" 三零二: how room and door numbers are read."""
    return "".join(DIGITS[int(d)] for d in digits)


def numerals_in(text: str) -> str:
    """Free text (a room name) with every run of digits written as it is said."""
    def say(run: re.Match[str]) -> str:
        digits = run.group()
        if len(digits) >= 3 or (len(digits) > 1 and int(digits[0]) == 0):
            return digit_by_digit(digits)
        return chinese_numeral(int(digits))
    return _DIGIT_RUN.sub(say, text)
