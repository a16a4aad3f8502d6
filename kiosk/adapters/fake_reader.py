"""In-process fake card reader: tests and demos push taps and failures into it."""

from __future__ import annotations

import queue
import time

from kiosk.ports import (CardReadFailed, CardTapped, ReaderEvent, ReaderHealth, ReaderState,
                         ReaderStatus)


class FakeCardReader:
    def __init__(self, name: str = "Fake Reader 0") -> None:
        self.name = name
        self.events: queue.Queue[ReaderEvent] = queue.Queue()
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
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def health(self) -> ReaderHealth:
        readers = (self.name,) if self.state == ReaderState.READY else ()
        return ReaderHealth(self.state, self.running, 0.0, readers)

    # -- driving it -----------------------------------------------------------
    def tap(self, uid: bytes) -> None:
        self.events.put(CardTapped(uid, self.name, time.monotonic_ns()))

    def fail(self, reason: str = "removed", detail: str = "") -> None:
        self.events.put(CardReadFailed(self.name, reason, detail))

    def set_state(self, state: ReaderState, detail: str = "") -> None:
        self.state = state
        readers = (self.name,) if state == ReaderState.READY else ()
        self.events.put(ReaderStatus(state, detail, readers))
