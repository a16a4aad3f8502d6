"""In-process fake card reader: tests and demos push taps and failures into it."""

from __future__ import annotations

import time

from kiosk.adapters.card_access import CardAccess
from kiosk.config.cards import CardKeys
from kiosk.domain.card_auth import Personalised
from kiosk.errors import CardIOError
from kiosk.ports import CardReadFailed, CardTapped, ReaderEvent, ReaderEvents, ReaderHealth, ReaderState, ReaderStatus
from kiosk.sim.virtual_card import VirtualCard


class FakeCardReader:
    def __init__(self, name: str = "Fake Reader 0",
                 keys: CardAccess | CardKeys = CardAccess()) -> None:
        self.name, self.access = name, CardAccess.of(keys)
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
        read = card.read(self.access)
        self.events.put(CardTapped(read.uid, reader or self.name, time.monotonic_ns(), 0,
                                   read.kind, read.record, read.proof))

    def _card(self, uid: bytes) -> VirtualCard:
        card = self.present
        if card is None or uid not in (card.uid, card.field_uid()):
            raise CardIOError("the card on the reader changed")
        return card

    def personalise(self, reader: str, uid: bytes, kind: str) -> Personalised:
        return self._card(uid).personalise(self.access)

    def write_record(self, reader: str, uid: bytes, kind: str, framed: bytes) -> bytes | None:
        return self._card(uid).write_and_read_back(kind, framed, self.access)

    def fail(self, reason: str = "removed", detail: str = "") -> None:
        self.events.put(CardReadFailed(self.name, reason, detail))

    def set_state(self, state: ReaderState, detail: str = "") -> None:
        self.state = state
        readers = (self.name,) if state == ReaderState.READY else ()
        self.events.put(ReaderStatus(state, detail, readers))
