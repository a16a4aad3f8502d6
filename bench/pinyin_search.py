"""Pinyin search: a technician's search by initials over 100,000 residents.

Run from the repository root with the test environment's Python:
    .venv/bin/python bench/pinyin_search.py [--quick]

A real station database (open_database: migrations, WAL, synchronous=FULL) gets 100,000
made-up residents, and their search keys are made as the first start after the upgrade makes
them (kiosk.store.search_keys.rebuild, timed: `pinyin_keys_build_per_s`). Names: a surname from common and
polyphonic surnames, one or two given-name characters. Then searches run through the same
read model the technician pages use (kiosk.store.queries.search_residents): by the initials of
a random resident (`wxh`), by her full pinyin and by her characters, and by one initial (the
widest match). Goal: p95 <= 50 ms by initials. --quick runs fewer searches (the same 100,000
residents). Prints `figure: NAME = VALUE UNIT`.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.tap_latency import pct  # noqa: E402
from kiosk.domain.registry import Search  # noqa: E402
from kiosk.store import search_keys  # noqa: E402
from kiosk.store.database import open_database  # noqa: E402
from kiosk.store.queries import search_residents  # noqa: E402
from kiosk.store.search_keys import normalize, readings  # noqa: E402

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
            "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史"
            "单解区仇朴查覃盖乐尉翟缪")
GIVEN = ("秀华明丽伟芳军英敏静强磊洋艳勇娟霞平刚桂兰梅红玉建国文志海波辉鹏飞燕玲春生德"
         "荣宁凤云林杰涛超浩宇婷雪琳晨欣怡佳慧俊峰宏斌淑珍秋月长乐和重行朝")


def make_names(count: int, seed: int = 15) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2))))
            for _ in range(count)]


def initials(name: str) -> str:
    return "".join(o[0][0] if o else c for o, c in zip(readings(normalize(name)), name, strict=True))


def full(name: str) -> str:
    return "".join(o[0] if o else c for o, c in zip(readings(normalize(name)), name, strict=True))


def timed(db, queries: list[str]) -> tuple[list[float], int]:
    times, hits = [], 0
    for text in queries:
        start = time.perf_counter()
        found = search_residents(db, Search("name", text))
        times.append((time.perf_counter() - start) * 1000)
        hits += bool(found)
    return times, hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer searches (under a minute)")
    parser.add_argument("--residents", type=int, default=100_000)
    args = parser.parse_args()
    searches = 200 if args.quick else 1000
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(Path(tmp) / "kiosk.db")
        names = make_names(args.residents)
        with db.conn:
            db.conn.executemany("INSERT INTO residents (id, name) VALUES (?, ?)",
                                ((f"res-{n:06d}", name) for n, name in enumerate(names)))
        start = time.perf_counter()
        search_keys.rebuild(db)  # what the first start after the upgrade does
        built = time.perf_counter() - start
        keys = db.execute("SELECT COUNT(*) FROM resident_search_keys").fetchone()[0]
        rng = random.Random(1)
        sample = rng.sample(names, searches)
        by_initials, hit_initials = timed(db, [initials(n) for n in sample])
        by_full, hit_full = timed(db, [full(n) for n in sample])
        by_chars, _ = timed(db, [n[:2] for n in sample])
        by_one, _ = timed(db, [rng.choice("wlzcyhsx") for _ in range(searches)])
        db.conn.close()
    assert hit_initials == searches and hit_full == searches, "a resident was not found by her keys"
    print(f"{args.residents} residents, {keys} search keys ({keys / args.residents:.1f} each), "
          f"built in {built:.1f} s; {searches} searches of each kind")
    print(f"figure: pinyin_search_p50_ms = {pct(by_initials, 50):.2f} ms")
    print(f"figure: pinyin_search_p95_ms = {pct(by_initials, 95):.2f} ms")
    print(f"figure: pinyin_search_full_p95_ms = {pct(by_full, 95):.2f} ms")
    print(f"figure: pinyin_search_chars_p95_ms = {pct(by_chars, 95):.2f} ms")
    print(f"figure: pinyin_search_one_letter_p95_ms = {pct(by_one, 95):.2f} ms")
    print(f"figure: pinyin_keys_build_per_s = {args.residents / built:.0f} residents/s")


if __name__ == "__main__":
    main()
