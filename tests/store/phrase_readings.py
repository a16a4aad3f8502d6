"""The readings search keys were made from before issue 21, kept to compare against.

Until keys version 2 a given name's polyphonic characters took their reading in context first,
from pypinyin's phrase dictionary (about 45 MB in the station process). Run as a module in a
process of its own (``python -m tests.store.phrase_readings``), with pypinyin's phrase
dictionary loaded, it makes the pinyin bench's name set (bench/pinyin_search.py) and prints, as
JSON, how the keys of each name compare:

- ``same_builder``: the old readings and the new through today's key builder (the new
  ``MAX_READINGS``): the names whose keys differ (none expected): the readings alone change
  nothing;
- ``lost_since_v1``: against the recipe of keys version 1 verbatim (the old readings, at most
  32 readings per name): the names that lost a key (none expected: whoever was found by
  something is still found by it).

tests/store/test_search_keys_memory.py runs it.
"""

from __future__ import annotations

import itertools
import json
import os
import sys

from bench.pinyin_search import make_names
from kiosk.store import search_keys

V1_MAX_READINGS = 32
BENCH_RESIDENTS = 100_000  # bench/pinyin_search.py's default


def _in_context(chars: str) -> tuple[str, ...]:
    from pypinyin import Style, lazy_pinyin
    return tuple(lazy_pinyin(chars, style=Style.NORMAL, errors="ignore"))


def _first_readings(name: str, known: list[bool]) -> list[str | None]:
    out: list[str | None] = []
    for is_known, run in itertools.groupby(zip(name, known, strict=True), key=lambda p: p[1]):
        chars = "".join(c for c, _ in run)
        if not is_known:
            out += [None] * len(chars)
        elif any(c in search_keys.EXTRA_READINGS for c in chars):
            out += [search_keys.EXTRA_READINGS[c][0] if c in search_keys.EXTRA_READINGS else None
                    for c in chars]
        else:
            out += _in_context(chars)
    return [r.replace("ü", "v") if r else r for r in out]


def phrase_readings(name: str) -> list[list[str] | None]:
    """kiosk.store.search_keys.readings as it was in keys version 1 (verbatim but for names)."""
    options = [search_keys._heteronyms(c) for c in name]
    first: list[str | None] = [o[0] if o else None for o in options]
    if any(len(o) > 1 for o in options[1:]):
        in_context = _first_readings(name, [bool(o) for o in options])
        if len(in_context) == len(options):
            first = in_context
    surname = search_keys._surname(name)
    out: list[list[str] | None] = []
    for i, (heard, context) in enumerate(zip(options, first, strict=True)):
        if not heard:
            out.append(None)
            continue
        lead = surname[i] if i < len(surname) else ()
        ordered = [*lead, *([context] if context else []), *heard]
        out.append(list(dict.fromkeys(ordered)))
    return out


def compare() -> dict:
    import pypinyin.constants
    names = sorted(set(make_names(BENCH_RESIDENTS)))
    new = [search_keys.name_keys(n) for n in names]
    today = search_keys.readings
    search_keys.readings = phrase_readings  # name_keys looks it up at each call
    try:
        old = [search_keys.name_keys(n) for n in names]
        search_keys.MAX_READINGS, max_readings = V1_MAX_READINGS, search_keys.MAX_READINGS
        try:
            v1 = [search_keys.name_keys(n) for n in names]
        finally:
            search_keys.MAX_READINGS = max_readings
    finally:
        search_keys.readings = today
    return {
        "phrases_loaded": len(pypinyin.constants.PHRASES_DICT),
        "names": len(names),
        "same_builder": [n for n, a, b in zip(names, old, new, strict=True) if a != b],
        "lost_since_v1": [n for n, a, b in zip(names, v1, new, strict=True) if not a <= b],
        "more_since_v1": sum(1 for a, b in zip(v1, new, strict=True) if a != b),
        "phrase_context_differs": sum(
            1 for n in names if phrase_readings(n) != today(n)),
    }


if __name__ == "__main__":
    assert not any(k.startswith("PYPINYIN") for k in os.environ), "run it without PYPINYIN_*"
    import pypinyin  # noqa: F401  # first, with its phrase dictionary
    json.dump(compare(), sys.stdout, ensure_ascii=False)
