"""In-process fake card reader: tests and demos push taps and failures into it."""

from __future__ import annotations

import time

from kiosk.adapters.card_io import read_record
from kiosk.config.cards import CardKeys
from kiosk.errors import CardIOError
from kiosk.ports import CardReadFailed, CardTapped, ReaderEvent, ReaderEvents, ReaderHealth, ReaderState, ReaderStatus
from kiosk.sim.virtual_card import VirtualCard


class FakeCardReader:
    def __init__(self, name: str = "Fake Reader 0", keys: CardKeys = CardKeys()) -> None:
        self.name, self.keys = name, keys
        self.present: VirtualCard | None = None  # the card "on" the reader, for issuance
        self.events = ReaderEvents()
        self.state = ReaderState.STARTING
        self.running = False

    def start(self) -> None:
        self.running = True
        self.set_state(ReaderState.READY)

    def stop(self) -> None:
        self.running = False

    def ensure_running(self) -> bool:
        return False

    def next_event(self, timeout: float) -> ReaderEvent | None:
        return self.events.next(timeout)

    def health(self) -> ReaderHealth:
        readers = (self.name,) if self.state == ReaderState.READY else ()
        return ReaderHealth(self.state, self.running, 0.0, readers)

    # -- driving it -----------------------------------------------------------
    def tap(self, uid: bytes) -> None:
        self.events.put(CardTapped(uid, self.name, time.monotonic_ns()))

    def tap_card(self, card: VirtualCard, reader: str | None = None) -> None:
        """Put a virtual card on the reader (it stays there until the next one); ``reader``
        names another reader than this one's own (a desk reader, say)."""
        self.present = card
        card.reset()
        kind, record = read_record(card.respond, card.atr, self.keys)
        self.events.put(CardTapped(card.uid, reader or self.name, time.monotonic_ns(), 0, kind,
                                   record))

    def write_record(self, reader: str, uid: bytes, kind: str, framed: bytes) -> bytes | None:
        card = self.present
        if card is None or card.uid != uid:
            raise CardIOError("the card on the reader changed")
        return card.write_and_read_back(kind, framed, self.keys)

    def fail(self, reason: str = "removed", detail: str = "") -> None:
        self.events.put(CardReadFailed(self.name, reason, detail))

    def set_state(self, state: ReaderState, detail: str = "") -> None:
        self.state = state
        readers = (self.name,) if state == ReaderState.READY else ()
        self.events.put(ReaderStatus(state, detail, readers))
