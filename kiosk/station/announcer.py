"""Announcements of queue calls: "请 12 号 到 诊室1 就诊", twice, after a short chime.

The sentence is rendered once through the Speech port and the finished WAV (chime,
sentence, pause, sentence) is cached per sentence under the data folder, so a re-call or
the next day's same number costs a file read. Nothing personal is ever spoken: only the
number and the room.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import threading
import wave
from pathlib import Path

from kiosk.ports import Speech

PAUSE_SECONDS = 0.6
CHIME = ((880, 0.18), (660, 0.32))  # a falling two-note ding-dong


def sentence(queue_no: int, room_name: str, lang: str) -> str:
    if lang == "en":
        return f"Number {queue_no}, please go to {room_name}."
    return f"请 {queue_no} 号 到 {room_name} 就诊"


class Announcer:
    def __init__(self, speech: Speech, cache_dir: Path, lang: str = "cmn"):
        self.speech, self.cache_dir, self.lang = speech, Path(cache_dir), lang
        self._lock = threading.Lock()

    def wav(self, queue_no: int, room_name: str) -> bytes:
        text = sentence(queue_no, room_name, self.lang)
        key = hashlib.sha256(f"{self.lang}\n{text}".encode()).hexdigest()[:32]
        path = self.cache_dir / f"{key}.wav"
        with self._lock:  # two pages asking at once render it once
            if path.exists():
                return path.read_bytes()
            data = announcement(self.speech.render(text, self.lang))
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
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
