"""The on-screen keyboard's candidate table (kiosk.ops.pinyin_table, issue 21): the committed
static/keyboard/pinyin.json is what jieba's and pypinyin's data make, surnames and name
characters come first, and the ranking rules hold on a small dictionary made here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kiosk.ops import pinyin_table
from kiosk.ops.pinyin_table import ListedNames, Word, build, count, count_listed

ROOT = Path(__file__).resolve().parents[2]
READINGS = {"王": "wang", "秀": "xiu", "修": "xiu", "华": "hua", "理": "li", "李": "li", "曾": "ceng",
            "明": "ming", "往": "wang"}


def read(text: str) -> list[str | None]:
    return [READINGS.get(c) for c in text]


def table(words: list[Word]) -> dict:
    return build(count(words, read, {"曾": ("zeng",)}), {"test": "made here"})["syllables"]


def test_names_outweigh_their_share_of_general_text():
    words = [Word("修理", 1000, "v"), Word("往", 1000, "p"), Word("王秀华", 1, "nr"),
             Word("李秀明", 1, "nr"), Word("王明", 1, "nr")]
    syllables = table(words)
    assert syllables["wang"][0] == "王往"  # a surname twice beats a word used 1000 times
    assert syllables["xiu"][0] == "秀修"  # a given-name character twice, likewise
    assert syllables["li"][0][0] == "李"
    scores = syllables["xiu"][1]
    assert scores == sorted(scores, reverse=True) and len(scores) == 2


def test_listed_names_lift_women_s_given_names_and_make_the_phrase():
    """A character of a listed given name beats a word used far more in running text (秀 over
    修), a listed surname keeps its lead (李 over 理), and a listed two-character given name is
    the whole-name phrase for its syllables, before jieba's names of the same reading."""
    words = [Word("修理", 1000, "v"), Word("理", 5000, "n"), Word("王明华", 1, "nr")]
    counts = count(words, read, {"曾": ("zeng",)})
    assert build(counts, {})["syllables"]["xiu"][0] == "修"  # jieba alone knows only 修
    listed = ListedNames({"李": 7.0, "王": 7.1, "曾": 0.6}, ["秀华", "秀", "明"])
    table = build(count_listed(counts, listed, read, {"曾": ("zeng",)}), {})
    assert table["syllables"]["xiu"][0] == "秀修"
    assert table["syllables"]["li"][0] == "李理" and table["syllables"]["zeng"][0] == "曾"
    assert table["given_names"] == {"xiu'hua": "秀华"}

    names = [Word(surname + "修华", 1, "nr") for surname in "王李曾"]  # three of jieba's names
    assert build(count(names, read, {}), {})["given_names"] == {"xiu'hua": "修华"}
    assert build(count(names[:2], read, {}), {})["given_names"] == {}  # two are not enough
    both = count_listed(count(names, read, {}), listed, read, {})
    assert build(both, {})["given_names"] == {"xiu'hua": "秀华"}  # the listed name first


def test_a_surname_counts_under_its_surname_reading():
    syllables = table([Word("曾明", 1, "nr")])  # in running text 曾 is ceng (曾经)
    assert syllables["zeng"][0] == "曾" and syllables["zeng"][1][0] > syllables["ceng"][1][0]


def test_each_name_counts_once_and_unread_characters_not_at_all():
    once = table([Word("王明", 1, "nr")])["wang"][1]
    assert table([Word("王明", 1, "nr"), Word("王明", 1, "nr")])["wang"][1] == once
    assert table([Word("秀X", 5, "n")]) == {"xiu": ["秀", [pinyin_table.quantized(1.0)]]}


def test_gb2312_characters_come_before_the_rest():
    pairs = [("網", "wang"), ("王", "wang"), ("亡", "wang")]  # 網: traditional, not in GB 2312
    syllables = build(count([Word("網", 100, "n")], lambda t: ["wang"] * len(t), {}), {}, pairs)
    assert syllables["syllables"]["wang"] == ["亡王網", [0, 0, 0]]  # 網 last, though used


def test_the_committed_table_names_names_first():
    data = json.loads(pinyin_table.TABLE.read_text(encoding="utf-8"))
    syllables = data["syllables"]
    assert data["format"] == pinyin_table.FORMAT and "jieba" in data["sources"]
    for syllable, char in (("wang", "王"), ("li", "李"), ("zhang", "张"), ("liu", "刘"),
                           ("chen", "陈"), ("huang", "黄"), ("zhao", "赵"), ("zeng", "曾")):
        assert syllables[syllable][0][0] == char, syllable
    # women's names (the common given names of Faker's list) and the demo's: every character
    # on the candidate row's first page (at most 8 at 800x480), most of them first, and the
    # whole name as one phrase (given_names)
    for name, readings, given in (
            ("王秀华", "wang xiu hua", "秀华"), ("李秀兰", "li xiu lan", "秀兰"),
            ("张桂英", "zhang gui ying", "桂英"), ("刘淑珍", "liu shu zhen", "淑珍"),
            ("陈美玲", "chen mei ling", "美玲"), ("李明", "li ming", None),
            ("陈晓燕", "chen xiao yan", None), ("张\U00020bb7祥", "zhang ji xiang", None)):
        for char, syllable in zip(name, readings.split(), strict=True):
            place = syllables[syllable][0].find(char)
            assert place >= 0 and (place < 8 or char == "\U00020bb7"), (name, char, place)
        if given:
            assert data["given_names"]["'".join(readings.split()[1:])] == given
    assert [syllables[s][0][0] for s in ("xiu", "shu", "gui", "lan", "zhen")] == list("秀淑桂兰珍")
    assert "\U00020bb7" in syllables["ji"][0]  # 𠮷 (search_keys.EXTRA_READINGS) can be typed
    assert "faker" in data["sources"]
    assert "单" in syllables["shan"][0][:5] and "单" in syllables["chan"][0]  # 单于 as well
    for chars, scores in syllables.values():
        assert len(chars) == len(scores)
    assert len(syllables) > 400 and sum(len(c) for c, _ in syllables.values()) > 10_000


def test_the_committed_table_is_what_the_sources_make():
    """Nobody edits the table by hand: made again from jieba and pypinyin (with its phrase
    dictionary, so in a process of its own), it is the same."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYPINYIN")}
    done = subprocess.run([sys.executable, "-m", "kiosk.ops.pinyin_table", "--check"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr
