"""Announcements of queue calls: "请一百零五号到诊室一就诊", twice, after a short chime.

The Mandarin sentence is written as it is said: the queue number and any digits in the room
name become Chinese numerals here (kiosk.domain.numerals), because a speech engine reading
digits drops inner zeros (105 heard as 150). The English sentence keeps its digits, which the
English voice reads right. The sentence is rendered once through the Speech port and the
finished WAV (chime, sentence, pause, sentence) is kept in a bounded cache under the data
folder (kiosk.station.voice_cache). Nothing personal is ever spoken: only the number and the
room.
"""

from __future__ import annotations

import hashlib
import io
import math
import threading
import wave
from pathlib import Path

from kiosk.domain.numerals import chinese_numeral, numerals_in
from kiosk.ports import Speech
from kiosk.station.voice_cache import VoiceCache

PAUSE_SECONDS = 0.6
CHIME = ((880, 0.18), (660, 0.32))  # a falling two-note ding-dong
CACHE_VERSION = "2"  # part of each cached file's key: 1 read the numbers as digits
DEFAULT_CACHE_BYTES = 64 * 1024 * 1024


def sentence(queue_no: int, room_name: str, lang: str) -> str:
    """What the voice says for a call, in ``lang`` ("cmn" or "en")."""
    if lang == "en":
        return f"Number {queue_no}, please go to {room_name}."
    return f"请{chinese_numeral(queue_no)}号到{numerals_in(room_name)}就诊"


class Announcer:
    def __init__(self, speech: Speech, cache_dir: Path, lang: str = "cmn",
                 cache_bytes: int = DEFAULT_CACHE_BYTES):
        self.speech, self.lang = speech, lang
        self.cache = VoiceCache(Path(cache_dir), cache_bytes)
        self._lock = threading.Lock()

    def wav(self, queue_no: int, room_name: str) -> bytes:
        text = sentence(queue_no, room_name, self.lang)
        key = hashlib.sha256(f"{CACHE_VERSION}\n{self.lang}\n{text}".encode()).hexdigest()[:32]
        with self._lock:  # two pages asking at once render it once
            data = self.cache.get(key)
            if data is None:
                data = announcement(self.speech.render(text, self.lang))
                self.cache.put(key, data)
            return data


def announcement(spoken: bytes) -> bytes:
    """Chime, the sentence, a pause and the sentence again, as one WAV."""
    with wave.open(io.BytesIO(spoken), "rb") as src:
        channels, width, rate = src.getnchannels(), src.getsampwidth(), src.getframerate()
        frames = src.readframes(src.getnframes())
    silence = b"\0" * (width * channels * int(rate * PAUSE_SECONDS))
    out = io.BytesIO()
    with wave.open(out, "wb") as dst:
        dst.setnchannels(channels)
        dst.setsampwidth(width)
        dst.setframerate(rate)
        dst.writeframes(chime(rate, width, channels) + silence + frames + silence + frames)
    return out.getvalue()


def chime(rate: int, width: int, channels: int) -> bytes:
    data = bytearray()
    peak = (1 << (8 * width - 1)) // 4
    for pitch, seconds in CHIME:
        count = int(rate * seconds)
        for i in range(count):
            fade = 1 - i / count
            value = int(peak * fade * math.sin(2 * math.pi * pitch * i / rate))
            sample = (value + 128).to_bytes(1, "little") if width == 1 else \
                value.to_bytes(width, "little", signed=True)
            data += sample * channels
    return bytes(data)
