"""espeak-ng (the Debian package) behind the Speech port: offline, on the Pi itself.

It renders to a file rather than stdout: espeak-ng's streamed WAV header carries no
lengths, which browsers refuse to play.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from kiosk.ports import SpeechFailed

VOICES = {"cmn": "cmn", "en": "en"}
TIMEOUT_SECONDS = 10


class EspeakSpeech:
    def __init__(self, binary: str = "espeak-ng", speed: int = 150):
        self.binary, self.speed = binary, speed

    def render(self, text: str, lang: str) -> bytes:
        if lang not in VOICES:
            raise SpeechFailed(f"no espeak-ng voice for {lang!r}")
        with tempfile.TemporaryDirectory(prefix="kiosk-voice-") as tmp:
            out = Path(tmp) / "sentence.wav"
            try:
                subprocess.run([self.binary, "-v", VOICES[lang], "-s", str(self.speed),
                                "-w", str(out), "--", text], check=True, timeout=TIMEOUT_SECONDS,
                               capture_output=True)
            except (OSError, subprocess.SubprocessError) as exc:
                raise SpeechFailed(f"espeak-ng failed: {exc}") from exc
            data = out.read_bytes() if out.exists() else b""
        if len(data) <= 44:
            raise SpeechFailed("espeak-ng produced no audio")
        return data
