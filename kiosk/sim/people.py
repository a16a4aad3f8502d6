"""Made-up people for simulated stations: names, birth dates, villages and phones, drawn from
a seeded random generator so a simulated station is the same every time (all invented; any
likeness to a real person is chance)."""

from __future__ import annotations

import datetime as dt
import random

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
# Two-character given names of the style in kiosk/demo/data.py (秀华, 晓燕): women first, as the
# services are mostly theirs.
GIVEN_WOMEN = ("秀华", "晓燕", "丽娟", "春梅", "桂兰", "美玲", "海燕", "玉梅", "红霞", "小芳",
               "雪梅", "丽萍", "金凤", "艳红", "慧敏", "文静", "佳怡", "婷婷", "思雨", "欣然",
               "秀英", "凤英", "翠兰", "月娥", "淑珍", "建芳", "晓丽", "梦琪", "雨涵", "静怡")
GIVEN_MEN = ("建国", "志强", "明", "伟", "海涛", "国庆", "永刚", "俊杰", "浩然", "德明")
TECHNICIANS = ("周桂芳", "何建平", "罗晓梅", "梁志远")


def woman(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_WOMEN)


def man(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_MEN)


def birth_date(rng: random.Random, on: dt.date, youngest: int, oldest: int) -> str:
    """A birth date that makes her ``youngest`` to ``oldest`` years old on ``on``."""
    days = rng.randint(youngest * 365 + 1, oldest * 365 + 300)
    return (on - dt.timedelta(days=days)).isoformat()


def phone(rng: random.Random) -> str:
    return rng.choice(("138", "139", "150", "152", "187")) + f"{rng.randint(0, 10**8 - 1):08d}"


def hex_id(rng: random.Random, prefix: str) -> str:
    """An id in the station's form (``res-`` and 12 hex digits), from the seeded generator."""
    return f"{prefix}-{rng.getrandbits(48):012x}"
