"""Mandarin text as espeak-ng's Mandarin voice must get it: pinyin with tone numbers.

Debian 12's espeak-ng 1.51 has two Mandarin voices. ``cmn`` reads 请, 号, 到 ... with English
phonemes (``espeak-ng -v cmn -x -q "请 12 号"`` prints ``(en)kI55NTr'i:55(cmn)...``): the
waiting room hears "kwing twelve hao". Only ``cmn-Latn-pinyin`` speaks Mandarin. It reads
characters too, but from a dictionary without context, so 银行 is "yin xing" and 处置室 "chu4
zhi shi"; it says nothing for full-width digits and reads a character it lacks by its code
point. So the text is handed to it as pinyin with tone numbers (``qing3 yi4 bai3 ling2 wu3
hao4``), made by pypinyin, which reads a character in its phrase (处置 chu3 zhi4) and applies
the tone changes of 一 and 不 (一百 yi4 bai3, 一号 yi1 hao4). The same path serves the queue
number and the room name, which is free text:

- digits become Chinese numerals first (kiosk.domain.numerals; the announcer has already
  written the queue number that way);
- Latin letters are said one by one with the voice's Chinese letter names (CT室: C T shi4,
  B超: B chao1), as people say them; a Latin word would switch the voice to English;
- punctuation becomes a pause;
- anything else (a character neither pypinyin nor the voice knows, a symbol) is left out and
  returned by ``unspoken`` so the caller can log it.

pypinyin's phrase dictionary costs the station about 45 MB (issue 21: 80 MB in all beside
Chromium on a 1 GB Pi), so the station loads pypinyin without it, here as in
kiosk.store.search_keys. A sentence is a queue number, a few fixed words and a room name; the
room names are the only words whose reading depends on their phrase (预防接种 jie1 zhong4, not
zhong3), so ``learn_phrases`` asks pypinyin with its whole dictionary, in a short-lived
process of its own, how each room name reads, and keeps that reading (a dozen short strings). A
room name then reads as a word of its own (处置室 chu3 zhi4 shi4, where the whole dictionary
read 到处 "everywhere" across the boundary: dao4 chu4 zhi4).
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import unicodedata
from collections.abc import Iterable

from kiosk.domain.numerals import numerals_in

log = logging.getLogger(__name__)
_HANZI_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f]{2,}")


def _pypinyin():
    """pypinyin without its phrase dictionary (kiosk.store.search_keys says why; the two
    switches are read once, when pypinyin is first imported)."""
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
    os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")
    import pypinyin
    return pypinyin


_LEARNED: dict[str, str] = {}  # a room name's characters -> their reading in context (TONE3)


def learn_phrases(texts: Iterable[str], timeout: float = 120.0) -> int:
    """Learn how the words of ``texts`` (the room names) read in context, from pypinyin's whole
    dictionary in a process of its own; returns how many words it learned. Without it (the
    process failed) each character reads alone: logged, and the voice still speaks."""
    runs = sorted({run for text in texts for run in _HANZI_RUN.findall(numerals_in(text))})
    if not runs:
        return 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYPINYIN")}
    try:
        done = subprocess.run([sys.executable, "-m", "kiosk.adapters.mandarin", *runs], env=env,
                              capture_output=True, text=True, timeout=timeout, check=True)
        readings = json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        log.warning("the room names' readings in context could not be had (%s): each character "
                    "is read alone", exc)
        return 0
    _LEARNED.update((run, readings[run]) for run in runs if isinstance(readings.get(run), str))
    return len(readings)


def _tone3(text: str) -> list[str]:
    pypinyin = _pypinyin()  # its dictionary loads on first use, not at import
    return pypinyin.lazy_pinyin(text, style=pypinyin.Style.TONE3, neutral_tone_with_five=True,
                                tone_sandhi=True, errors=_other_characters)


def _readings_in_context(runs: list[str]) -> dict[str, str]:
    """Each word's reading by pypinyin with its phrase dictionary (run as ``python -m``)."""
    return {run: " ".join(_tone3(run)) for run in runs}


def pinyin_reading(text: str) -> str:
    """``请一百零五号到CT室`` -> ``qing3 yi4 bai3 ling2 wu3 hao4 dao4 C T shi4``."""
    prepared, words = _prepared(text), []
    learned = sorted(_LEARNED, key=len, reverse=True)
    pieces = re.split("(" + "|".join(map(re.escape, learned)) + ")", prepared) if learned else [prepared]
    for piece in pieces:
        words += [_LEARNED[piece]] if piece in _LEARNED else _tone3(piece)
    return " ".join(w for w in words if w).replace(" ,", ",").strip(" ,")


def unspoken(text: str) -> str:
    """The characters of ``text`` that ``pinyin_reading`` leaves out."""
    pypinyin = _pypinyin()
    Style, lazy_pinyin = pypinyin.Style, pypinyin.lazy_pinyin
    left_out: list[str] = []

    def note(chars: str) -> str:
        left_out.extend(c for c in chars if not _sayable(c))
        return ""
    lazy_pinyin(_prepared(text), style=Style.TONE3, errors=note)
    return "".join(left_out)


def _prepared(text: str) -> str:
    # NFKC: full-width letters and digits (what a Chinese input method types) become ASCII
    return numerals_in(unicodedata.normalize("NFKC", text))


def _sayable(char: str) -> bool:
    return char.isspace() or (char.isascii() and char.isalpha()) or _is_pause(char)


def _is_pause(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def _other_characters(chars: str) -> str:
    """What pypinyin has no reading for: letters one by one, punctuation as a pause."""
    said: list[str] = []
    for char in chars:
        if char.isascii() and char.isalpha():
            said.append(char.upper())
        elif _is_pause(char) and said[-1:] != [","]:
            said.append(",")
    return " ".join(said)


if __name__ == "__main__":  # learn_phrases' helper process: the whole dictionary, then exit
    import pypinyin.constants  # before _pypinyin() would switch the phrases off
    if not pypinyin.constants.PHRASES_DICT:
        sys.exit("pypinyin's phrase dictionary is switched off (PYPINYIN_NO_PHRASES)")
    json.dump(_readings_in_context(sys.argv[1:]), sys.stdout, ensure_ascii=False)
