"""Chinese numerals for the spoken calls (kiosk.domain.numerals): the readings a listener
expects, and every number from 0 to 99,999 read back to itself."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.domain.numerals import chinese_numeral, numerals_in

VALUES = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}
UNITS = {"十": 10, "百": 100, "千": 1000}


def read_back(said: str) -> int:
    """A listener's reading of a numeral, written independently of the module: digits
    multiply the unit after them, 万 multiplies everything before it, 零 only marks a gap."""
    total, section, digit = 0, 0, None
    for char in said:
        if char in VALUES:
            digit = VALUES[char]
        elif char in UNITS:
            section += (1 if digit is None else digit) * UNITS[char]
            digit = None
        elif char == "万":
            total += (section + (digit or 0)) * 10000
            section, digit = 0, None
        else:
            raise AssertionError(f"{char!r} in {said!r}")
    return total + section + (digit or 0)


@pytest.mark.parametrize("number, said", [
    (0, "零"), (1, "一"), (2, "二"), (10, "十"), (11, "十一"), (12, "十二"), (20, "二十"),
    (22, "二十二"), (99, "九十九"), (100, "一百"), (101, "一百零一"), (105, "一百零五"),
    (110, "一百一十"), (111, "一百一十一"), (150, "一百五十"), (200, "两百"), (205, "两百零五"),
    (222, "两百二十二"), (999, "九百九十九"), (1000, "一千"), (1001, "一千零一"),
    (1010, "一千零一十"), (1050, "一千零五十"), (1100, "一千一百"), (1200, "一千二百"),
    (2000, "两千"), (2200, "两千二百"), (10000, "一万"), (10005, "一万零五"),
    (10010, "一万零一十"), (10100, "一万零一百"), (11000, "一万一千"), (12000, "一万二千"),
    (20000, "两万"), (20100, "两万零一百"), (99999, "九万九千九百九十九"),
    (100000, "十万"), (100010, "十万零一十"), (101000, "十万一千"), (200000, "二十万"),
])
def test_numbers_are_said_as_a_listener_expects(number, said):
    assert chinese_numeral(number) == said


def test_every_queue_number_reads_back_to_itself():
    for number in range(1, 100000):  # all of them: 0.3 s
        said = chinese_numeral(number)
        assert read_back(said) == number, said
        # 零 is said exactly when a zero sits between the number's digits (105, not 100, 150)
        assert ("零" in said) == ("0" in str(number).rstrip("0")), said
        assert "两" not in said[1:] and not said.startswith("一十"), said


@given(st.integers(0, 10**8 - 1))
def test_larger_numbers_read_back_to_themselves(number):
    assert read_back(chinese_numeral(number)) == number


@pytest.mark.parametrize("number", [-1, 10**8])
def test_numbers_outside_the_range_are_refused(number):
    with pytest.raises(ValueError):
        chinese_numeral(number)


@pytest.mark.parametrize("room, said", [
    ("诊室1", "诊室一"), ("2号诊室", "二号诊室"), ("诊室12", "诊室十二"), ("20室", "二十室"),
    ("302诊室", "三零二诊室"), ("诊室01", "诊室零一"), ("化验室", "化验室"), ("B超室", "B超室"),
    ("诊室１", "诊室一"),  # a full-width digit typed with a Chinese input method
    ("1号楼 105室", "一号楼 一零五室"),
])
def test_digits_in_a_room_name_are_said_as_room_numbers(room, said):
    assert numerals_in(room) == said
