"""The Speech port's contract, run against the real espeak-ng adapter and the simulator: what
a call says (its transcript: Mandarin syllables, no stretch in another language, the 零 of
105), not only that audio came out; and the announcer that turns a call into chime +
sentence twice, cached per sentence."""

import io
import re
import wave

import pytest

from kiosk.adapters.speech import EspeakSpeech
from kiosk.ports import SpeechFailed
from kiosk.sim.speech import ToneSpeech
from kiosk.station.announcer import Announcer, announcement, sentence

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(params=["espeak-ng", "simulator"])
def speech(request):
    return EspeakSpeech() if request.param == "espeak-ng" else ToneSpeech()


def seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        return w.getnframes() / w.getframerate()


def syllables(transcript: str) -> int:
    """Mandarin syllables said: each carries one tone number in both notations (the
    simulator writes a Latin letter it spells as the letter alone)."""
    return len(re.findall(r"\d+|(?:^|(?<=\s))[A-Z](?=\s|$)", transcript))


def switched(transcript: str) -> bool:
    """A stretch read in another language: espeak-ng's ``(en)...(cmn)``."""
    return "(" in transcript


@pytest.mark.parametrize("lang", ["cmn", "en"])
def test_a_sentence_becomes_a_mono_16_bit_wav(speech, lang):
    data = speech.render(sentence(12, "诊室1", lang), lang)
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert seconds(data) > 1.0


@pytest.mark.parametrize("number, room", [(105, "诊室1"), (12, "化验室"), (2, "302诊室"), (1001, "B超室")])
def test_a_mandarin_call_is_said_in_mandarin_syllable_by_syllable(speech, number, room):
    text = sentence(number, room, "cmn")
    said = speech.transcript(text, "cmn")
    assert not switched(said), said  # never "kwing twelve hao"
    letters = len(re.findall(r"[A-Za-z]", room))  # B超: the letter is said in Mandarin too
    assert syllables(said) >= len(HAN.findall(text)) + letters, said


def test_the_inner_zero_is_said(speech):
    zero = speech.transcript("零", "cmn").strip(" _|")
    assert zero in speech.transcript(sentence(105, "诊室1", "cmn"), "cmn")  # 一百零五
    assert zero not in speech.transcript(sentence(150, "诊室1", "cmn"), "cmn")  # 一百五十
    assert zero in speech.transcript(sentence(1, "302诊室", "cmn"), "cmn")  # 三零二诊室


def test_numbers_are_not_read_from_digits(speech):
    """The announcer writes numerals, so the engine never guesses: 105 and 150 differ."""
    said = {n: speech.transcript(sentence(n, "诊室1", "cmn"), "cmn") for n in (15, 105, 150, 110)}
    assert len(set(said.values())) == 4
    assert syllables(said[110]) == syllables(said[15]) + 2  # 一百一十 vs 十五


def test_the_english_voice_keeps_english(speech):
    said = speech.transcript(sentence(12, "Room 1", "en"), "en")
    assert said and not switched(said)
    assert said != speech.transcript(sentence(12, "诊室1", "cmn"), "cmn")


def test_the_same_sentence_gives_the_same_audio(speech):
    text = sentence(12, "诊室1", "cmn")
    assert speech.render(text, "cmn") == speech.render(text, "cmn")


def test_an_unknown_language_is_refused(speech):
    with pytest.raises(SpeechFailed):
        speech.render("hello", "xx")
    with pytest.raises(SpeechFailed):
        speech.transcript("hello", "xx")


def test_espeak_missing_is_a_speech_failure():
    with pytest.raises(SpeechFailed):
        EspeakSpeech(binary="/nonexistent/espeak-ng").render("请一号", "cmn")


def test_an_announcement_is_chime_then_the_sentence_twice(speech):
    spoken = speech.render(sentence(3, "化验室", "cmn"), "cmn")
    assert seconds(announcement(spoken)) > 2 * seconds(spoken) + 0.5


def test_announcements_are_cached_per_sentence(tmp_path):
    speech = ToneSpeech()
    announcer = Announcer(speech, tmp_path / "voice")
    first = announcer.wav(12, "诊室1")
    assert announcer.wav(12, "诊室1") == first
    announcer.wav(13, "诊室1")
    assert [text for text, _ in speech.rendered] == ["请十二号到诊室一就诊", "请十三号到诊室一就诊"]
    assert len(list((tmp_path / "voice").glob("*.wav"))) == 2
