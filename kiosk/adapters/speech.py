"""espeak-ng (the Debian package) behind the Speech port: offline, on the Pi itself.

Mandarin goes to the ``cmn-Latn-pinyin`` voice as pinyin with tone numbers
(kiosk.adapters.mandarin says why: the ``cmn`` voice of Debian 12's espeak-ng 1.51 reads
common characters with English phonemes). English goes to ``en`` as written.

It renders to a file rather than stdout: espeak-ng's streamed WAV header carries no
lengths, which browsers refuse to play. ``transcripts`` asks espeak-ng for its phonemes
(``-x``) of many texts in one process, so a test can check what every call will say.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from kiosk.adapters.mandarin import pinyin_reading, unspoken
from kiosk.ports import SpeechFailed

log = logging.getLogger(__name__)
VOICES = {"cmn": "cmn-Latn-pinyin", "en": "en"}
TIMEOUT_SECONDS = 10
# Between two texts of a batch: words no text of ours holds, on a line of their own, in the
# voice's own language (a switch to English costs the pinyin voice more time). Their
# transcription (the first line of the output) marks where each text's phonemes end.
BOUNDARY = {"cmn": "ei1 ei1 ei1 ei1 ei1", "en": "kioskboundary"}


class EspeakSpeech:
    def __init__(self, binary: str = "espeak-ng", speed: int = 150):
        self.binary, self.speed = binary, speed

    def engine_text(self, text: str, lang: str) -> str:
        """What espeak-ng is given for ``text``: pinyin for Mandarin, the text for English."""
        if lang not in VOICES:
            raise SpeechFailed(f"no espeak-ng voice for {lang!r}")
        if lang != "cmn":
            return text
        left_out = unspoken(text)
        if left_out:
            log.warning("the voice cannot say %r in %r; it is left out", left_out, text)
        return pinyin_reading(text)

    def render(self, text: str, lang: str) -> bytes:
        said = self.engine_text(text, lang)
        with tempfile.TemporaryDirectory(prefix="kiosk-voice-") as tmp:
            out = Path(tmp) / "sentence.wav"
            self._run(lang, ["-w", str(out), "--", said])
            data = out.read_bytes() if out.exists() else b""
        if len(data) <= 44:
            raise SpeechFailed("espeak-ng produced no audio")
        return data

    def transcript(self, text: str, lang: str) -> str:
        """espeak-ng's phonemes for what ``render`` says (``-x``); a stretch it reads in
        another language shows as ``(en)...(cmn)``."""
        return self.transcripts([text], lang)[0]

    def transcripts(self, texts: Sequence[str], lang: str) -> list[str]:
        """``transcript`` of each text, from one espeak-ng process."""
        if lang not in VOICES:
            raise SpeechFailed(f"no espeak-ng voice for {lang!r}")
        if not texts:
            return []
        lines = [BOUNDARY[lang]]
        for text in texts:
            lines += [self.engine_text(text, lang).replace("\n", " "), lines[0]]
        # -l: every line shorter than this ends a clause, so no text runs into the boundary
        # The timeout only catches a hung espeak-ng: a text takes ~5 ms of CPU, but a busy
        # machine (a Pi rendering a call while Chromium paints) can give it a small share.
        out = self._run(lang, ["-x", "-q", "-l", "100000"], "\n".join(lines) + "\n",
                        timeout=TIMEOUT_SECONDS + len(texts) / 5)
        found = [line.strip() for line in out.splitlines() if line.strip()]
        if not found:
            raise SpeechFailed("espeak-ng gave no phonemes")
        boundary, said, current = found[0], list[str](), list[str]()
        for line in found[1:]:
            if line == boundary:
                said.append(" ".join(current))
                current = []
            else:
                current.append(line)
        if current or len(said) != len(texts):
            raise SpeechFailed(f"espeak-ng's phonemes do not split into {len(texts)} texts")
        return said

    def _run(self, lang: str, args: list[str], stdin: str | None = None,
             timeout: float = TIMEOUT_SECONDS) -> str:
        try:
            done = subprocess.run([self.binary, "-v", VOICES[lang], "-s", str(self.speed), *args],
                                  input=stdin, check=True, timeout=timeout, capture_output=True,
                                  text=True)
        except (OSError, subprocess.SubprocessError) as exc:
            raise SpeechFailed(f"espeak-ng failed: {exc}") from exc
        return done.stdout
