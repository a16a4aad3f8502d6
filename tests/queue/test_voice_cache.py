"""The rendered calls on disk (kiosk.station.voice_cache): bounded in bytes, least recently
played out first, unplayed files out after MAX_AGE_DAYS; and the [queue] voice_cache_mb key."""

from __future__ import annotations

import os
import time

import pytest

from kiosk.config.loader import parse_config
from kiosk.errors import ConfigError
from kiosk.sim.speech import ToneSpeech
from kiosk.station.announcer import Announcer
from kiosk.station.voice_cache import MAX_AGE_DAYS, VoiceCache

KIB = 1024


def test_the_cache_stays_within_its_bound_and_keeps_what_was_played_last(tmp_path):
    cache = VoiceCache(tmp_path, max_bytes=100 * KIB)
    for n in range(30):
        cache.put(f"call{n}", bytes(10 * KIB))
        past = time.time() - 1000 + n  # written one second apart, oldest first
        os.utime(tmp_path / f"call{n}.wav", (past, past))
        if n == 5:
            assert cache.get("call0") is not None  # played again: now the newest
    assert cache.size() <= 100 * KIB
    kept = {p.stem for p in tmp_path.glob("*.wav")}
    assert {"call0", "call29"} <= kept and "call1" not in kept  # call0 was played again


def test_files_not_played_for_a_week_go(tmp_path):
    cache = VoiceCache(tmp_path, max_bytes=10 * 1024 * KIB)
    cache.put("old", b"x" * KIB)
    cache.put("recent", b"y" * KIB)
    week_ago = time.time() - MAX_AGE_DAYS * 86400 - 60
    os.utime(tmp_path / "old.wav", (week_ago, week_ago))
    (tmp_path / "left.tmp").write_bytes(b"z")  # a write cut short by a power cut
    assert cache.prune() == KIB + 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["recent.wav"]
    assert cache.get("old") is None and cache.get("recent") == b"y" * KIB


def test_the_announcer_renders_into_the_bounded_cache(tmp_path):
    announcer = Announcer(ToneSpeech(), tmp_path, cache_bytes=1024 * KIB)
    sizes = []
    for number in range(1, 40):
        announcer.wav(number, "诊室1")
        sizes.append(announcer.cache.size())
    assert max(sizes) <= 1024 * KIB
    assert announcer.wav(39, "诊室1")  # the newest is still there


@pytest.mark.parametrize("value", [0, 7, 1025])
def test_voice_cache_mb_is_checked(value):
    with pytest.raises(ConfigError) as refused:
        parse_config({"station": {"id": "st-1", "name": "x"}, "queue": {"voice_cache_mb": value}})
    assert refused.value.key == "queue.voice_cache_mb"


def test_voice_cache_mb_has_a_default_and_can_be_set():
    base = {"station": {"id": "st-1", "name": "x"}}
    assert parse_config(base).queue.voice_cache_mb == 64
    assert parse_config({**base, "queue": {"voice_cache_mb": 200}}).queue.voice_cache_mb == 200
