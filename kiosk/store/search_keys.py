"""Search keys for residents' names: a technician finds 王秀华 by `王秀`, `wangxiuhua`, `wxh`.

Each resident has a few rows in ``resident_search_keys``, one per key, and a search is a prefix
match on that table's primary key (a range ``key >= q AND key < q + U+10FFFF``: no LIKE, no
COLLATE, the index does the work). The keys of a name, all lower case, separators dropped:

- its characters, as every suffix of the name (so a prefix match is today's substring match:
  `秀华` finds 王秀华);
- its full pinyin and its pinyin initials, once per reading. Every character brings all its
  readings (pypinyin's heteronym mode), the surname its surname reading first (单 shan, 曾
  zeng, 解 xie, ...: pypinyin has no surname mode, so a short table here orders them), the
  given name its reading in context first (pypinyin's phrases). Readings are combined by how
  many characters take another reading than their first: all first readings, then each single
  change, then pairs, ... up to ``MAX_READINGS`` keys, so a name of polyphonic characters
  cannot blow up into hundreds of rows while every reading of one character is always there;
- a character pypinyin does not know (𪛖, U+2A6D6) stands for itself in the full pinyin and in
  the initials (`w𪛖h`, `wang𪛖hua`), and a second set of keys leaves it out, so the initials
  of the known characters (`wh`, `wanghua`) still find her; she is always found by the
  characters themselves (`王𪛖`, `𪛖华`). A few name characters that pypinyin's dictionary lacks
  have their reading in ``EXTRA_READINGS`` (𠮷, U+20BB7, jí: 王𠮷华 is `wjh`).

Keys are derived data: nothing here goes into an event, and ID numbers and phones are never
keys (those searches match their own columns). ``KEYS_VERSION`` names this recipe and the
pypinyin release: when either changes, the next start rebuilds every resident's keys.
"""

from __future__ import annotations

import functools
import itertools
import unicodedata
from collections.abc import Iterable, Iterator

import pypinyin
from pypinyin import Style, lazy_pinyin, pinyin
from sqlite_utils import Database

KEYS_VERSION = f"1/pypinyin-{pypinyin.__version__}"
VERSION_KEY = "search_keys_version"
MAX_READINGS = 32  # full-pinyin keys per name, and as many initials keys
MAX_SUFFIXES = 40  # character keys per name: a substring starting past the 40th is not found
_SEPARATORS = frozenset(" \t\r\n\u3000·•・.．-－_'’‘")
_TOP = "\U0010ffff"  # sorts after every character: q <= key < q + _TOP is "key starts with q"

# Name characters outside pypinyin's dictionary, with their reading (checked in
# tests/store/test_search_keys.py: a pypinyin release that learns one makes the test say so).
EXTRA_READINGS: dict[str, tuple[str, ...]] = {"\U00020bb7": ("ji",)}  # 𠮷, a form of 吉

# Surnames whose surname reading is not the character's most common one. pypinyin's heteronym
# readings hold them all; this table only puts the surname's reading first.
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "单": ("shan",), "曾": ("zeng",), "解": ("xie",), "区": ("ou",), "仇": ("qiu",),
    "朴": ("piao",), "查": ("zha",), "覃": ("qin",), "盖": ("ge",), "乐": ("yue", "le"),
    "尉": ("wei", "yu"), "翟": ("zhai",), "缪": ("miao",), "黑": ("he",), "种": ("chong",),
    "秘": ("bi",), "繁": ("po",), "员": ("yun",), "长": ("chang",), "藏": ("zang",),
    "句": ("gou",), "令": ("ling",), "隗": ("wei",), "召": ("shao",), "宿": ("su",),
    "万俟": ("mo", "qi"), "尉迟": ("yu", "chi"), "单于": ("chan", "yu"), "长孙": ("zhang", "sun"),
}


def normalize(text: str) -> str:
    """What a name and a query are compared as: NFKC (full-width letters, compatibility
    ideographs), lower case, separators and spaces dropped, ü typed as v (as input methods do),
    tone marks dropped (`wáng` is `wang`)."""
    folded = unicodedata.normalize("NFKC", text).lower().replace("ü", "v").replace("u:", "v")
    bare = "".join(c for c in unicodedata.normalize("NFD", folded) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", "".join(c for c in bare if c not in _SEPARATORS))


@functools.lru_cache(maxsize=16384)  # names share characters: a rebuild asks pypinyin once each
def _heteronyms(char: str) -> tuple[str, ...]:
    if char in EXTRA_READINGS:
        return EXTRA_READINGS[char]
    found = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    return tuple(r.replace("ü", "v") for r in found[0]) if found else ()


@functools.lru_cache(maxsize=16384)
def _in_context(chars: str) -> tuple[str, ...]:
    return tuple(lazy_pinyin(chars, style=Style.NORMAL, errors="ignore"))


def _first_readings(name: str, known: list[bool]) -> list[str | None]:
    """Each known character's reading in context (pypinyin's phrases), run by run."""
    out: list[str | None] = []
    for is_known, run in itertools.groupby(zip(name, known, strict=True), key=lambda p: p[1]):
        chars = "".join(c for c, _ in run)
        if not is_known:
            out += [None] * len(chars)
        elif any(c in EXTRA_READINGS for c in chars):  # pypinyin would drop it: no context
            out += [EXTRA_READINGS[c][0] if c in EXTRA_READINGS else None for c in chars]
        else:
            out += _in_context(chars)
    return [r.replace("ü", "v") if r else r for r in out]


def _surname(name: str) -> tuple[str, ...]:
    return SURNAME_READINGS.get(name[:2]) or SURNAME_READINGS.get(name[:1]) or ()


def readings(name: str) -> list[list[str] | None]:
    """Per character of a normalized name: its readings, first reading first; None when
    pypinyin does not know it (it then stands for itself)."""
    options = [_heteronyms(c) for c in name]
    first: list[str | None] = [o[0] if o else None for o in options]
    if any(len(o) > 1 for o in options[1:]):  # the context orders a polyphonic given name only
        in_context = _first_readings(name, [bool(o) for o in options])
        if len(in_context) == len(options):  # else pypinyin split a run unexpectedly: keep first
            first = in_context
    surname = _surname(name)
    out: list[list[str] | None] = []
    for i, (heard, context) in enumerate(zip(options, first, strict=True)):
        if not heard:
            out.append(None)
            continue
        lead = (surname[i],) if i < len(surname) else ()
        ordered = [*lead, *([context] if context else []), *heard]
        out.append(list(dict.fromkeys(ordered)))
    return out


def _combinations(options: list[list[str]], limit: int) -> Iterator[tuple[str, ...]]:
    """Choices, one per position: first choices, then one position changed, then two, ...
    until ``limit``. Never more than ``limit`` however many choices each position has."""
    changeable = [i for i, o in enumerate(options) if len(o) > 1]
    made = 0
    for changes in range(len(changeable) + 1):
        for positions in itertools.combinations(changeable, changes):
            alternates = [options[i][1:] for i in positions]
            for picked in itertools.product(*alternates):
                choice = [o[0] for o in options]
                for i, value in zip(positions, picked, strict=True):
                    choice[i] = value
                yield tuple(choice)
                made += 1
                if made >= limit:
                    return


def _reading_keys(per_char: list[list[str] | None], name: str) -> set[str]:
    syllables = [o if o is not None else [c] for o, c in zip(per_char, name, strict=True)]
    initials = [list(dict.fromkeys(s[0] for s in o)) if o is not None else [c]
                for o, c in zip(per_char, name, strict=True)]
    keys = {"".join(c) for c in _combinations(syllables, MAX_READINGS)}
    keys |= {"".join(c) for c in _combinations(initials, MAX_READINGS)}
    return keys


def name_keys(name: str) -> set[str]:
    """Every key a resident with this name is found by (see the module's docstring)."""
    text = normalize(name)
    if not text:
        return set()
    keys = {text[i:] for i in range(min(len(text), MAX_SUFFIXES))}
    per_char = readings(text)
    keys |= _reading_keys(per_char, text)
    if None in per_char and any(per_char):  # the known characters alone
        kept = [(o, c) for o, c in zip(per_char, text, strict=True) if o is not None]
        keys |= _reading_keys([o for o, _ in kept], "".join(c for _, c in kept))
    return keys


def prefix_range(query: str) -> tuple[str, str] | None:
    """(low, high) for ``key >= low AND key < high``: the keys that start with the query."""
    text = normalize(query)
    return (text, text + _TOP) if text else None


def index_resident(db: Database, resident_id: str, name: str | None) -> None:
    """Replace one resident's keys (in the caller's transaction)."""
    db.execute("DELETE FROM resident_search_keys WHERE resident_id = ?", (resident_id,))
    _insert(db, ((key, resident_id) for key in name_keys(name or "")))


def _insert(db: Database, pairs: Iterable[tuple[str, str]]) -> None:
    db.conn.executemany("INSERT OR IGNORE INTO resident_search_keys (key, resident_id) "
                        "VALUES (?, ?)", pairs)


def keys_current(db: Database) -> bool:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (VERSION_KEY,)).fetchone()
    return bool(row and row[0] == KEYS_VERSION)


def rebuild(db: Database) -> int:
    """Every resident's keys anew, in one transaction; returns how many residents. Run at start
    when the keys were made by another recipe or pypinyin release (or never: the migration)."""
    with db.conn:
        db.execute("DELETE FROM resident_search_keys")
        count = 0
        for resident_id, name in db.execute("SELECT id, name FROM residents").fetchall():
            _insert(db, ((key, resident_id) for key in name_keys(name or "")))
            count += 1
        db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                   "value = excluded.value", (VERSION_KEY, KEYS_VERSION))
    return count
