"""The Speech port's contract, run against the real espeak-ng adapter and the simulator;
and the announcer that turns a call into chime + sentence twice, cached per sentence."""

import io
import wave

import pytest

from kiosk.adapters.speech import EspeakSpeech
from kiosk.ports import SpeechFailed
from kiosk.sim.speech import ToneSpeech
from kiosk.station.announcer import Announcer, announcement, sentence


@pytest.fixture(params=["espeak-ng", "simulator"])
def speech(request):
    return EspeakSpeech() if request.param == "espeak-ng" else ToneSpeech()


def seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        return w.getnframes() / w.getframerate()


@pytest.mark.parametrize("lang", ["cmn", "en"])
def test_a_sentence_becomes_a_mono_16_bit_wav(speech, lang):
    data = speech.render(sentence(12, "诊室1", lang), lang)
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert seconds(data) > 0.5


def test_the_same_sentence_gives_the_same_audio(speech):
    text = sentence(12, "诊室1", "cmn")
    assert speech.render(text, "cmn") == speech.render(text, "cmn")


def test_an_unknown_language_is_refused(speech):
    with pytest.raises(SpeechFailed):
        speech.render("hello", "xx")


def test_espeak_missing_is_a_speech_failure():
    with pytest.raises(SpeechFailed):
        EspeakSpeech(binary="/nonexistent/espeak-ng").render("请 1 号", "cmn")


def test_an_announcement_is_chime_then_the_sentence_twice(speech):
    spoken = speech.render(sentence(3, "化验室", "cmn"), "cmn")
    assert seconds(announcement(spoken)) > 2 * seconds(spoken) + 0.5


def test_announcements_are_cached_per_sentence(tmp_path):
    speech = ToneSpeech()
    announcer = Announcer(speech, tmp_path / "voice")
    first = announcer.wav(12, "诊室1")
    assert announcer.wav(12, "诊室1") == first
    announcer.wav(13, "诊室1")
    assert [text for text, _ in speech.rendered] == ["请 12 号 到 诊室1 就诊", "请 13 号 到 诊室1 就诊"]
    assert len(list((tmp_path / "voice").glob("*.wav"))) == 2
