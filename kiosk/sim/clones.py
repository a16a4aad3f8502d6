"""What an attacker brings to the reader instead of her card: a replayer, and a recorder to
make one. (Perfect clones are each card's own ``perfect_clone``: the same UID, or the same
random-UID behaviour, and every byte a reader can read, but not the key.)

A ``Recorder`` wraps a genuine card and keeps every command and answer of one tap; a
``Replayer`` then answers each command with what the genuine card answered to the same
command (by instruction, in order), as a relay of a recorded authentication would: it
passes everything that is the same on every tap and fails where the kiosk's challenge is
fresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.adapters.card_access import CardAccess
from kiosk.adapters.card_io import CardRead, read_card
from kiosk.sim.virtual_card import SW_INS_NOT_SUPPORTED


class _Tapped:
    """What a reader gets on a tap, through this card's own ``respond``."""

    def read(self, access: CardAccess = CardAccess()) -> CardRead:
        self.reset()  # type: ignore[attr-defined]
        return read_card(self.respond, self.atr, self.field_uid(), access)  # type: ignore[attr-defined]


@dataclass
class Recorder(_Tapped):
    card: object  # a virtual card
    transcript: list[tuple[bytes, bytes]] = field(default_factory=list)

    def respond(self, apdu: bytes) -> bytes:
        answer = self.card.respond(apdu)  # type: ignore[attr-defined]
        self.transcript.append((bytes(apdu), answer))
        return answer

    def __getattr__(self, name: str):
        if name == "card":
            raise AttributeError(name)
        return getattr(self.card, name)


@dataclass
class Replayer(_Tapped):
    uid: bytes
    atr: bytes
    transcript: list[tuple[bytes, bytes]]
    kind: str = "replayer"
    vanish_on_read: bool = False
    answers_uid: bool = True

    def reset(self) -> None:
        self._used: dict[bytes, int] = {}

    def __post_init__(self) -> None:
        self.reset()

    def field_uid(self) -> bytes:
        return self.uid

    def same_card(self) -> Replayer:
        return Replayer(self.uid, self.atr, self.transcript)

    def respond(self, apdu: bytes) -> bytes:
        if apdu[:2] == b"\xFF\xCA":
            return self.uid + b"\x90\x00"
        key = bytes(apdu[:2])
        answers = [a for c, a in self.transcript if c[:2] == key]
        n = self._used.get(key, 0)
        self._used[key] = n + 1
        return answers[n] if n < len(answers) else SW_INS_NOT_SUPPORTED
