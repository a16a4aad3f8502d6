"""A speech simulator for the tests: a 0.2 s tone per syllable (or English word), as a real
WAV, without any speech engine. Same sentence, same bytes. Its transcript of Mandarin is the
pinyin the real voice is given (kiosk.adapters.mandarin), of English the words."""

from __future__ import annotations

import io
import math
import wave

from kiosk.adapters.mandarin import pinyin_reading
from kiosk.ports import SpeechFailed

RATE = 16000


class ToneSpeech:
    def __init__(self) -> None:
        self.rendered: list[tuple[str, str]] = []

    def transcript(self, text: str, lang: str) -> str:
        self._check(text, lang)
        return pinyin_reading(text) if lang == "cmn" else " ".join(text.lower().split())

    def _check(self, text: str, lang: str) -> None:
        if lang not in ("cmn", "en"):
            raise SpeechFailed(f"no voice for {lang!r}")
        if not text.strip():
            raise SpeechFailed("nothing to say")

    def render(self, text: str, lang: str) -> bytes:
        self._check(text, lang)
        self.rendered.append((text, lang))
        frames = bytearray()
        for word in self.transcript(text, lang).split():  # a syllable, or an English word
            pitch = 300 + (sum(map(ord, word)) % 40) * 10
            for i in range(RATE // 5):
                sample = int(8000 * math.sin(2 * math.pi * pitch * i / RATE))
                frames += sample.to_bytes(2, "little", signed=True)
        out = io.BytesIO()
        with wave.open(out, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(bytes(frames))
        return out.getvalue()
