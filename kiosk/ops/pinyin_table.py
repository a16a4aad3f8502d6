"""The on-screen keyboard's pinyin candidates, made once at build time into a static file.

The kiosk's touchscreen has no input method (Chromium under cage), so its on-screen keyboard
(static/keyboard.js) turns pinyin into characters itself, from a table this module makes:
for every syllable, the characters read that way, the likeliest first. The browser loads it as
a static file (static/keyboard/pinyin.json); the station process never holds it, and never
imports jieba or pypinyin's phrase dictionary (import-linter checks that only this module
imports jieba; kiosk.store.search_keys loads pypinyin without its phrases).

Where the data comes from (all MIT licensed; docs/technicians.md says so too):

- jieba 0.42.1's frequency dictionary (``jieba.get_dict_file()``: 349,046 words with their
  frequency in its corpus and part of speech) says how often each character is used: a
  character's weight is the sum of the frequencies of the words it appears in;
- pypinyin (with its phrase dictionary, here only) reads each word in context, so 行 in 银行
  counts for hang and in 行走 for xing;
- names first: jieba tags person names ``nr``. A character that begins a two- or
  three-character name counts as a surname, the two characters after a surname in a
  three-character name count as given-name characters, each name once. Surnames read the way
  kiosk.store.search_keys reads them (曾 zeng, 单 shan). Both counts together weigh
  ``NAME_WEIGHT`` times as much as the general frequency. jieba's names are the people of its
  corpus (famous men, titles such as 先生 after a surname), so on their own they put 修 before
  秀 and 树 before 淑;
- the names people at a station actually have: Faker's zh_CN person data (``faker.providers.
  person.zh_CN``, maintained with Faker) lists China's most common surnames with their share of
  the population (from Wikipedia's 中国姓氏排名) and the most common given names of women and
  of men (秀英, 桂英, 秀兰, 淑珍, ...). Their characters weigh ``NAME_WEIGHT`` again, each
  surname by its share, each listed given name once, so 秀, 淑, 珍, 桂 and 兰 come first for
  their syllables and 李 stays ahead of 丽;
- the name characters pypinyin lacks, with the reading kiosk.store.search_keys gives them
  (``EXTRA_READINGS``: 𠮷 ji), at the end of their syllable, so they can be typed at all;
- two-character given names for the whole-name phrase (``given_names``: their pinyin, as
  ``xiu'hua``, to the likeliest name read so): Faker's listed given names first, then the given
  names of jieba's three-character person names seen at least three times. The keyboard writes
  ``wangxiuhua`` as 王 and 秀华 rather than the first character of each syllable alone;
- every character of GB 2312 (the 6,763 of simplified Chinese in common use) is there under
  each of its readings (pypinyin's heteronyms), also those jieba never uses (单 chan, for
  单于), and these come before the rest (traditional forms and rarer characters from jieba's
  words), which stay at the end of their syllable's list.

Run from the repository root with jieba and Faker installed (test extras, pinned: the table
is checked against them):
    .venv/bin/python -m kiosk.ops.pinyin_table            # writes static/keyboard/pinyin.json
    .venv/bin/python -m kiosk.ops.pinyin_table --check    # exit 1 if the file is not current
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

TABLE = Path(__file__).resolve().parents[2] / "static" / "keyboard" / "pinyin.json"
NAME_WEIGHT = 2.0  # names (surnames and given-name characters) against general frequency
FORMAT = 2  # 2: given_names for the whole-name phrase
MIN_GIVEN_NAME = 3  # a given name from jieba's person names counts from this many names on


@dataclass
class Counts:
    """Weights per (character, reading), from the three sources the module's docstring names."""
    general: collections.Counter = field(default_factory=collections.Counter)
    surname: collections.Counter = field(default_factory=collections.Counter)
    given: collections.Counter = field(default_factory=collections.Counter)
    listed_surname: collections.Counter = field(default_factory=collections.Counter)
    listed_given: collections.Counter = field(default_factory=collections.Counter)
    # two-character given names, (text, reading) -> how many names: jieba's, Faker's listed
    given_names: collections.Counter = field(default_factory=collections.Counter)
    listed_given_names: dict = field(default_factory=dict)  # (text, reading) -> rank in Faker's


@dataclass(frozen=True)
class Word:
    text: str
    frequency: int
    tag: str


def jieba_words() -> Iterator[Word]:
    """jieba's dictionary, as it ships (word, frequency, part of speech per line)."""
    import jieba
    with jieba.get_dict_file() as lines:
        for raw in lines:
            parts = raw.decode("utf-8").split()
            if len(parts) >= 2 and parts[1].isdigit():
                yield Word(parts[0], int(parts[1]), parts[2] if len(parts) > 2 else "")


def pypinyin_reader():
    """A word's reading per character, in context."""
    from pypinyin import Style, lazy_pinyin
    from pypinyin.constants import PHRASES_DICT
    if not PHRASES_DICT:  # kiosk.store.search_keys asked for pypinyin without it, in this process
        raise RuntimeError("pypinyin was loaded without its phrase dictionary (PYPINYIN_NO_PHRASES): "
                           "make the table in a process of its own")

    def read(text: str) -> list[str | None]:
        # a word with a character pypinyin cannot read comes back shorter: count() skips it
        return [r.replace("ü", "v") for r in lazy_pinyin(text, style=Style.NORMAL, errors="ignore")]
    return read


def count(words: Iterable[Word], read, surname_readings: dict[str, tuple[str, ...]]) -> Counts:
    counts, names = Counts(), set()
    for word in words:
        readings = read(word.text)
        if len(readings) != len(word.text):
            continue
        for char, reading in zip(word.text, readings, strict=True):
            if reading and reading.isascii() and reading.isalpha():
                counts.general[(char, reading)] += word.frequency
        if word.tag == "nr" and len(word.text) in (2, 3) and word.text not in names:
            names.add(word.text)
            first = surname_readings.get(word.text[0], (readings[0],))[0]
            if first:
                counts.surname[(word.text[0], first)] += 1
            if len(word.text) == 3:
                for char, reading in zip(word.text[1:], readings[1:], strict=True):
                    if reading:
                        counts.given[(char, reading)] += 1
                if all(readings[1:]):
                    counts.given_names[(word.text[1:], "'".join(readings[1:]))] += 1
    return counts


@dataclass(frozen=True)
class ListedNames:
    """Common names as a list gives them: surnames with their share, given names in order."""
    surnames: dict[str, float]
    given: list[str]


def faker_names() -> ListedNames:
    """Faker's zh_CN person data: surnames with their share of the population, and the common
    given names of women and of men (women's first: they are most of a station's residents)."""
    from faker.providers.person.zh_CN import Provider
    return ListedNames(dict(Provider.last_names),
                       list(Provider.first_names_female) + list(Provider.first_names_male))


def count_listed(counts: Counts, listed: ListedNames, read,
                 surname_readings: dict[str, tuple[str, ...]]) -> Counts:
    """Add the listed names to ``counts``: each single-character surname by its share under its
    surname reading, each character of a listed given name once, and the two-character given
    names, in the list's order, for the whole-name phrase."""
    for surname, share in listed.surnames.items():
        if len(surname) == 1:
            reading = surname_readings.get(surname, ((read(surname) or [None])[0],))[0]
            if reading:
                counts.listed_surname[(surname, reading)] += round(share * 1000)  # per 100,000
    for rank, name in enumerate(dict.fromkeys(listed.given)):
        readings = read(name)
        if len(readings) != len(name) or not all(readings):
            continue
        for char, reading in zip(name, readings, strict=True):
            counts.listed_given[(char, reading)] += 1
        if len(name) == 2:
            counts.listed_given_names.setdefault((name, "'".join(readings)), rank)
    return counts


def gb2312_characters() -> Iterator[str]:
    """GB 2312's hanzi, rows 16-87 (levels 1 and 2), in its order."""
    for row in range(0xB0, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                yield bytes((row, cell)).decode("gb2312")
            except UnicodeDecodeError:
                continue  # the five empty cells at the end of row 55


def heteronyms(chars: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(character, reading) for every reading pypinyin knows of each character."""
    from pypinyin import Style, pinyin
    for char in chars:
        for found in pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore"):
            for reading in found:
                yield char, reading.replace("ü", "v")


def in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def scores(counts: Counts, name_weight: float = NAME_WEIGHT) -> dict[tuple[str, str], float]:
    """Each (character, reading)'s share of the general frequency, plus ``name_weight`` times
    its shares of surnames and given names, jieba's and the listed ones."""
    parts = (counts.general, counts.surname, counts.given, counts.listed_surname, counts.listed_given)
    totals = [max(1, sum(c.values())) for c in parts]
    out: dict[tuple[str, str], float] = {}
    for part, total, weight in zip(parts, totals, (1.0, *[name_weight] * 4), strict=True):
        for key, value in part.items():
            out[key] = out.get(key, 0.0) + weight * value / total
    return out


def quantized(score: float) -> int:
    """A score as a small integer for the browser, which ranks completions of several
    syllables against each other: hundredths of a decade above 1e-9."""
    return max(0, round(100 * math.log10(max(score, 1e-12) * 1e9)))


def build(counts: Counts, sources: dict[str, str], also: Iterable[tuple[str, str]] = ()) -> dict:
    """The table: per syllable, its characters (likeliest first) and their quantized scores;
    ``also``: (character, reading) pairs to list even if no word uses them."""
    weights = scores(counts)
    for pair in also:
        weights.setdefault(pair, 0.0)
    per_syllable: dict[str, list[tuple[bool, float, str]]] = collections.defaultdict(list)
    for (char, reading), score in weights.items():
        if reading.isascii() and reading.isalpha():
            per_syllable[reading].append((not in_gb2312(char), -score, char))
    syllables = {}
    for reading in sorted(per_syllable):
        ranked = sorted(per_syllable[reading])
        syllables[reading] = ["".join(c for _, _, c in ranked),
                              [0 if rare else quantized(-s) for rare, s, _ in ranked]]
    return {"format": FORMAT, "sources": sources, "syllables": syllables,
            "given_names": given_names(counts)}


def given_names(counts: Counts) -> dict[str, str]:
    """Two syllables ("xiu'hua") -> the likeliest two-character given name read so: a listed
    name first (in its list's order), then jieba's by how many of its names have it."""
    ranked = sorted(
        [(0, rank, text, reading) for (text, reading), rank in counts.listed_given_names.items()]
        + [(1, -n, text, reading) for (text, reading), n in counts.given_names.items()
           if n >= MIN_GIVEN_NAME])
    out: dict[str, str] = {}
    for _, _, text, reading in ranked:
        if all(in_gb2312(c) for c in text) and reading.replace("'", "").isascii():
            out.setdefault(reading, text)
    return dict(sorted(out.items()))


def sources_used() -> dict[str, str]:
    from importlib.metadata import version
    return {"jieba": f"jieba {version('jieba')} dict.txt (MIT)",
            "pypinyin": f"pypinyin {version('pypinyin')} (MIT)",
            "faker": f"Faker {version('Faker')} zh_CN person names (MIT)",
            "made_by": "python -m kiosk.ops.pinyin_table"}


def make_table() -> dict:
    from kiosk.store.search_keys import EXTRA_READINGS, SURNAME_READINGS
    single = {k: v for k, v in SURNAME_READINGS.items() if len(k) == 1}
    read = pypinyin_reader()
    counts = count_listed(count(jieba_words(), read, single), faker_names(), read, single)
    extra = [(char, reading) for char, readings in EXTRA_READINGS.items() for reading in readings]
    return build(counts, sources_used(), [*heteronyms(gb2312_characters()), *extra])


def dumps(table: dict) -> str:
    return json.dumps(table, ensure_ascii=False, separators=(",", ":")) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=TABLE, help="where the table goes")
    parser.add_argument("--check", action="store_true",
                        help="only compare with the file: exit 1 if it is not what the sources make")
    args = parser.parse_args(argv)
    text = dumps(make_table())
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is not current: run python -m kiosk.ops.pinyin_table", file=sys.stderr)
            return 1
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"{args.out}: {len(text.encode())} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
