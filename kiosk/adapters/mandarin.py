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
"""

from __future__ import annotations

import unicodedata

from kiosk.domain.numerals import numerals_in


def pinyin_reading(text: str) -> str:
    """``请一百零五号到CT室`` -> ``qing3 yi4 bai3 ling2 wu3 hao4 dao4 C T shi4``."""
    from pypinyin import Style, lazy_pinyin  # its dictionaries load on first use, not at import
    words = lazy_pinyin(_prepared(text), style=Style.TONE3, neutral_tone_with_five=True,
                        tone_sandhi=True, errors=_other_characters)
    return " ".join(w for w in words if w).replace(" ,", ",").strip(" ,")


def unspoken(text: str) -> str:
    """The characters of ``text`` that ``pinyin_reading`` leaves out."""
    from pypinyin import Style, lazy_pinyin
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
