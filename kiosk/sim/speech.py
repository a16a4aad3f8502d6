"""A speech simulator for the demo and the tests: a short tone per character, as a real
WAV, without any speech engine. Same sentence, same bytes."""

from __future__ import annotations

import io
import math
import wave

from kiosk.ports import SpeechFailed

RATE = 16000


class ToneSpeech:
    def __init__(self) -> None:
        self.rendered: list[tuple[str, str]] = []

    def render(self, text: str, lang: str) -> bytes:
        if lang not in ("cmn", "en"):
            raise SpeechFailed(f"no voice for {lang!r}")
        if not text.strip():
            raise SpeechFailed("nothing to say")
        self.rendered.append((text, lang))
        frames = bytearray()
        for char in text.strip():
            pitch = 300 + (ord(char) % 40) * 10
            for i in range(RATE // 20):
                sample = int(8000 * math.sin(2 * math.pi * pitch * i / RATE))
                frames += sample.to_bytes(2, "little", signed=True)
        out = io.BytesIO()
        with wave.open(out, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(bytes(frames))
        return out.getvalue()
