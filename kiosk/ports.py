"""The ports to hardware and the outside world, and the values that cross them.

Each has a real adapter in kiosk.adapters and a simulator in kiosk.sim; kiosk.bootstrap picks one
from the config. The domain's own ports (clock, unit of work) are in
kiosk.domain.unit_of_work.
"""

from __future__ import annotations

import enum
import queue
from dataclasses import dataclass, field
from typing import Any, Protocol

from kiosk.domain.card_auth import CardProof, Personalised
from kiosk.domain.events import Event, Signer
from kiosk.errors import KioskError


class ReaderState(enum.Enum):
    STARTING = "starting"
    READY = "ready"
    NO_READER = "no_reader"
    SERVICE_UNAVAILABLE = "service_unavailable"


@dataclass(frozen=True)
class CardTapped:
    uid: bytes
    reader: str
    detected_ns: int  # time.monotonic_ns() when the reader service reported the card
    read_ns: int = 0  # how long connect + UID and record read took
    kind: str = "uid"  # "cpu", "cpu-ecc", "desfire", "mifare" or "uid"
    record: bytes | None = None  # the kiosk card record, if the card holds one
    proof: CardProof | None = None  # how the card proved itself, for kinds that do


@dataclass(frozen=True)
class CardReadFailed:
    reader: str
    reason: str  # "removed" | "unsupported" | "io"
    detail: str = ""


@dataclass(frozen=True)
class ReaderStatus:
    state: ReaderState
    detail: str = ""
    readers: tuple[str, ...] = ()


ReaderEvent = CardTapped | CardReadFailed | ReaderStatus


class ReaderEvents(queue.Queue[ReaderEvent]):
    """The queue a reader puts its events on and the station loop waits on."""

    def next(self, timeout: float) -> ReaderEvent | None:
        """The next event, or None after ``timeout`` seconds without one."""
        try:
            return self.get(timeout=timeout)
        except queue.Empty:
            return None


class CardReader(Protocol):
    """Reports taps; at issuance, ``personalise`` gives the card still on a reader its keys
    and ``write_record`` writes its record, reads it back and has it authenticate once."""

    def personalise(self, reader: str, uid: bytes, kind: str) -> Personalised: ...
    def write_record(self, reader: str, uid: bytes, kind: str, framed: bytes) -> bytes | None: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def next_event(self, timeout: float) -> ReaderEvent | None: ...
    def health(self) -> ReaderHealth: ...
    def ensure_running(self) -> bool: ...


@dataclass(frozen=True)
class ReaderHealth:
    state: ReaderState
    alive: bool
    heartbeat_age_s: float
    readers: tuple[str, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class Receipt:
    station_name: str
    printed_at: str
    queue_no: int
    masked_name: str
    next_visit: str | None
    checkin_code: str
    lines: tuple[str, ...] = field(default_factory=tuple)
    kind: str = "checkin"  # or "enrolment": the station's enrolment slip for the county
    qr: str = ""  # printed as a QR code (the enrolment code)
    ahead: int | None = None  # people called before her (None: not waiting, or not known)
    wait_minutes: int | None = None  # from today's own service times; None rather than a guess
    card_no: str = ""  # a visitor checked in offline: her card number instead of a name


class PrinterState(enum.Enum):
    READY = "ready"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    NO_ANSWER = "no_answer"
    DISABLED = "disabled"


class Printer(Protocol):
    def status(self) -> PrinterState: ...
    def print_receipt(self, receipt: Receipt) -> PrinterState: ...


class Signal(enum.Enum):
    READY = "ready"
    SUCCESS = "success"
    UNKNOWN_CARD = "unknown_card"
    ERROR = "error"
    READER_DOWN = "reader_down"


class Signals(Protocol):
    def show(self, signal: Signal) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Ack:
    """The county's signed word that it stored everything up to ``seq`` (with ``hash``)."""

    station_id: str
    seq: int
    hash: str
    county_time: str
    signature: str = ""


class CountyRefused(KioskError):
    """The county answered with a refusal the station must act on (gap, fork, 400, 403)."""

    def __init__(self, status: int, reason: str, expected_seq: int | None = None, detail: str = ""):
        super().__init__(f"county answered {status} {reason} {detail}".strip())
        self.status, self.reason, self.expected_seq, self.detail = status, reason, expected_seq, detail


class CountyLink(Protocol):
    """Pushes signed events, pulls roster pages and looks up visitors; network trouble raises
    OSError."""

    def push(self, station_id: str, events: list[Event], head: int | None = None) -> Ack: ...
    def roster(self, station_id: str, after: str, signer: Signer) -> dict[str, Any]: ...
    def lookup(self, station_id: str, card_no: str, record: bytes, tap: Event, signer: Signer,
               timeout: float = ...) -> dict[str, Any]:
        """A visitor's record for a card tapped here (kiosk.protocol.visitors)."""


class SpeechFailed(KioskError, RuntimeError):
    """The speech engine could not render a sentence (missing, crashed or said nothing)."""


class Speech(Protocol):
    """Offline text to speech for the queue's announcements.

    ``render`` returns a RIFF WAV (mono, 16-bit PCM) of ``text`` spoken in ``lang``
    ("cmn" Mandarin or "en" English), or raises SpeechFailed. Mandarin text is written as
    it is said: the caller turns numbers into Chinese numerals (kiosk.domain.numerals).

    ``transcript`` says what ``render`` speaks, in the engine's own phonetic notation, one
    tone number per Mandarin syllable; a stretch read in another language than ``lang`` is
    marked ``(code)`` (espeak-ng's own mark), so a test can check what a listener hears.
    """

    def render(self, text: str, lang: str) -> bytes: ...

    def transcript(self, text: str, lang: str) -> str: ...
