"""Search keys for residents' names: a technician finds 王秀华 by `王秀`, `wangxiuhua`, `wxh`.

Each resident has a few rows in ``resident_search_keys``, one per key, and a search is a prefix
match on that table's primary key (a range ``key >= q AND key < q + U+10FFFF``: no LIKE, no
COLLATE, the index does the work). The keys of a name, all lower case, separators dropped:

- its characters, as every suffix of the name (so a prefix match is today's substring match:
  `秀华` finds 王秀华);
- its full pinyin and its pinyin initials, once per reading. Every character brings all its
  readings (pypinyin's heteronym mode), the surname its surname reading first (单 shan, 曾
  zeng, 解 xie, ...: pypinyin has no surname mode, so a short table here orders them), the
  given name's characters pypinyin's most common reading first. Only pypinyin's
  single-character dictionary is loaded, never its phrase dictionary (about 45 MB on the
  station, issue 21): a name is not a phrase, and the keys hold every reading anyway (until
  2/ the given name took its reading in context first; tests/store/test_search_keys_memory.py
  shows the bench's 68,607 names get the same keys either way). Readings are combined by how
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
pypinyin release: when either changes, the next start rebuilds every resident's keys (3/: a
surname of two readings, 乐 or 尉, no longer lent its second to the given name: 乐明 was `yuele`).
"""

from __future__ import annotations

import functools
import itertools
import os
import unicodedata
from collections.abc import Iterable, Iterator
from importlib.metadata import version

from sqlite_utils import Database

# pypinyin itself is imported where keys are made: its dictionaries take a second or more to
# load, which every `kiosk` command that opens the database would otherwise pay.
KEYS_VERSION = f"3/pypinyin-{version('pypinyin')}"
VERSION_KEY = "search_keys_version"
# Full-pinyin keys per name, and as many initials keys: every reading of any name of three
# characters the bench makes (the most, 48, is 于平平's 3 x 4 x 4), so which reading comes first
# never decides which keys such a name gets.
MAX_READINGS = 64
MAX_SUFFIXES = 40  # character keys per name: a substring starting past the 40th is not found
_SEPARATORS = frozenset(" \t\r\n\u3000·•・.．-－_'’‘")
_TOP = "\U0010ffff"  # sorts after every character: q <= key < q + _TOP is "key starts with q"

# Name characters outside pypinyin's dictionary, with their reading (checked in
# tests/store/test_search_keys.py: a pypinyin release that learns one makes the test say so).
EXTRA_READINGS: dict[str, tuple[str, ...]] = {"\U00020bb7": ("ji",)}  # 𠮷, a form of 吉

# Surnames whose surname reading is not the character's most common one. pypinyin's heteronym
# readings hold them all; this table only puts the surname's reading first. A single character
# lists its surname readings, likeliest first (乐: yue, le); a compound surname one reading per
# character (尉迟: yu, chi).
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


def _pypinyin_readings():
    """pypinyin's ``pinyin`` with its single-character dictionary only.

    Its phrase dictionary (47,000 phrases, about 45 MB in the station process) orders the
    readings of a character in a word; a name is not a word, and every reading of each
    character is a key anyway, so names need only the characters' readings. pypinyin reads
    these two switches when it is first imported (its README, "内存占用"): no phrases, and no
    private copy of the character dictionary. The results do not depend on them (the phrase
    dictionary has no one-character entries), only the memory does."""
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
    os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")
    from pypinyin import Style, pinyin
    return functools.partial(pinyin, style=Style.NORMAL, heteronym=True, errors="ignore")


@functools.lru_cache(maxsize=16384)  # names share characters: a rebuild asks pypinyin once each
def _heteronyms(char: str) -> tuple[str, ...]:
    if char in EXTRA_READINGS:
        return EXTRA_READINGS[char]
    found = _pypinyin_readings()(char)
    return tuple(r.replace("ü", "v") for r in found[0]) if found else ()


def _surname(name: str) -> list[tuple[str, ...]]:
    """The surname's readings per character, first first: a compound surname's one per
    character, a single character's all of them (乐明's 明 is never read le)."""
    if name[:2] in SURNAME_READINGS:
        return [(reading,) for reading in SURNAME_READINGS[name[:2]]]
    return [SURNAME_READINGS[name[:1]]] if name[:1] in SURNAME_READINGS else []


def readings(name: str) -> list[list[str] | None]:
    """Per character of a normalized name: its readings, first reading first (the surname's
    reading for a surname in ``SURNAME_READINGS``, else pypinyin's most common one); None
    when pypinyin does not know it (it then stands for itself)."""
    surname = _surname(name)
    out: list[list[str] | None] = []
    for i, heard in enumerate(_heteronyms(c) for c in name):
        if not heard:
            out.append(None)
            continue
        lead = surname[i] if i < len(surname) else ()
        out.append(list(dict.fromkeys((*lead, *heard))))
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


def warm_up() -> None:
    """Load pypinyin's dictionaries (a second or more on a Pi) before a registration needs them
    inside its unit of work; the station starts this in a thread."""
    name_keys("王秀华")


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


def rebuild(db: Database, chunk: int = 20_000) -> int:
    """Every resident's keys anew, in one transaction; returns how many residents. Run at start
    when the keys were made by another recipe or pypinyin release (or never: the migration).
    The resident index is dropped and made again after, and each chunk of residents' keys is
    inserted in key order: about four times faster than row by row (bench/pinyin_search.py)."""
    index = db.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND "
                       "name = 'resident_search_keys_resident'").fetchone()
    with db.conn:
        if index:
            db.execute("DROP INDEX resident_search_keys_resident")
        db.execute("DELETE FROM resident_search_keys")
        residents = db.execute("SELECT id, name FROM residents").fetchall()
        for start in range(0, len(residents), chunk):
            _insert(db, sorted((key, resident_id) for resident_id, name in residents[start:start + chunk]
                               for key in name_keys(name or "")))
        if index:
            db.execute(index[0])
        db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                   "value = excluded.value", (VERSION_KEY, KEYS_VERSION))
    return len(residents)
