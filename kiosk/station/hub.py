"""Fan-out of station happenings (taps, reader and printer state) to every open page.

What is broadcast carries no secret: the stream adds a tap's login ticket or record link
only for the kiosk's own page (kiosk.station.screen_pages), and the number of streams is
capped so that open connections cannot pile up."""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from kiosk.ports import PrinterState, ReaderState, ReaderStatus
from kiosk.station.screen_pages import KIOSK_STREAMS, MAX_SUBSCRIBERS, ScreenPages, TooManyScreens

DISPLAY_STREAMS = 8  # waiting-room displays' streams, in slots of their own (finding N15)
DISPLAY_KINDS = frozenset({"queue", "call"})  # all a display's stream hears: numbers and rooms


@dataclass(frozen=True)
class SyncInfo:
    backlog: int
    last_sync: str | None


@dataclass(frozen=True)
class Status:
    reader: ReaderState = ReaderState.STARTING
    printer: PrinterState = PrinterState.READY
    backlog: int = 0
    sync: SyncInfo | None = None  # None: no county configured
    health: tuple[str, ...] = ()  # kiosk.adapters.health problem codes: power, sd_card, disk, ...
    clock: str = ""  # who vouches for the time (kiosk.domain.trusted_time); "not_set": nobody


class ScreenHub:
    def __init__(self, pages: ScreenPages | None = None,
                 max_subscribers: int = MAX_SUBSCRIBERS) -> None:
        self._subscribers: set[queue.Queue] = set()
        self._displays: set[queue.Queue] = set()
        self._kiosk_streams: list[queue.Queue] = []
        self.max_subscribers = max_subscribers
        self.pages = pages or ScreenPages()
        self._local: set[queue.Queue] = set()  # pages on this machine: the touchscreen
        self._local_changed = time.monotonic()
        self._lock = threading.Lock()
        self.status = Status()
        self.published = 0
        self._last_tap: tuple[Any, float] | None = None  # shown to a page opened just after
        self.board: Any | None = None  # the queue's public board (kiosk.station.calling)

    def subscribe(self, kiosk: bool = False, local: bool = False) -> queue.Queue:
        """A page's live stream; TooManyScreens when the slots are taken (the kiosk's own page
        has slots of its own, so other pages cannot crowd it out). ``local`` when the page runs
        on the station itself (the touchscreen's browser: kiosk doctor and screen_watch count them)."""
        q: queue.Queue = queue.Queue(maxsize=100)
        with self._lock:
            if kiosk:
                while len(self._kiosk_streams) >= KIOSK_STREAMS:  # the oldest page gives way
                    self._end(self._kiosk_streams.pop(0))
                self._kiosk_streams.append(q)
            elif len(self._subscribers) - len(self._kiosk_streams) >= self.max_subscribers:
                raise TooManyScreens("too many open screens")
            self._subscribers.add(q)
            if local:
                if not self._local:
                    self._local_changed = time.monotonic()
                self._local.add(q)
        return q

    def subscribe_display(self, local: bool = False) -> queue.Queue:
        """A waiting-room display's stream (/display/events): the queue's board and calls
        only, in ``DISPLAY_STREAMS`` slots of their own; TooManyScreens when they are taken.
        ``local``: on this machine, counted by ``screens`` as every local page's stream is."""
        q: queue.Queue = queue.Queue(maxsize=100)
        with self._lock:
            if len(self._displays) >= DISPLAY_STREAMS:
                raise TooManyScreens("too many open displays")
            self._displays.add(q)
            if local:
                if not self._local:
                    self._local_changed = time.monotonic()
                self._local.add(q)
        return q

    def subscribed(self, q: queue.Queue) -> bool:
        """False once the stream was ended here (its page gave way to a newer one)."""
        with self._lock:
            return q in self._subscribers or q in self._displays

    def _end(self, q: queue.Queue) -> None:
        self._subscribers.discard(q)
        try:
            q.put_nowait(("end", None))
        except queue.Full:
            pass  # the stream notices at its next keep-alive

    def unsubscribe(self, q: queue.Queue) -> None:
        with self._lock:
            self._subscribers.discard(q)
            self._displays.discard(q)
            if q in self._kiosk_streams:
                self._kiosk_streams.remove(q)
            if q in self._local:
                self._local.discard(q)
                if not self._local:
                    self._local_changed = time.monotonic()

    def screens(self) -> tuple[int, float]:
        """How many pages on this machine (the touchscreen's browser) have the live stream open,
        and for how many seconds that has been so (or none has been, since the station started).
        Monotonic: a Pi's clock jumps when NTP first sets it."""
        with self._lock:
            return len(self._local), time.monotonic() - self._local_changed

    def publish(self, kind: str, item: Any) -> None:
        with self._lock:
            self.published += 1
            displays = list(self._displays) if kind in DISPLAY_KINDS else []
            for q in [*self._subscribers, *displays]:
                try:
                    q.put_nowait((kind, item))
                except queue.Full:  # a stuck page must not hold up the station
                    pass

    # -- hooks the station calls ------------------------------------------------
    def tap(self, report: Any) -> None:
        self._last_tap = (report, time.monotonic())
        self.publish("tap", report)

    def notice(self, name: str) -> None:
        """A short message for the public screen (a fragment of that name), e.g. a refused
        reprint; technician pages ignore it."""
        self.publish("notice", name)

    def recent_tap(self, within_seconds: float) -> Any | None:
        last = self._last_tap
        if last and time.monotonic() - last[1] < within_seconds:
            return last[0]
        return None

    def reader_status(self, status: ReaderStatus) -> None:
        self.status = replace(self.status, reader=status.state)
        self.publish("status", self.status)

    def sync_status(self, info: SyncInfo | None) -> None:
        if info != self.status.sync:
            self.status = replace(self.status, sync=info)
            self.publish("status", self.status)

    def clock_status(self, source: str) -> None:
        if source != self.status.clock:
            self.status = replace(self.status, clock=source)
            self.publish("status", self.status)

    def health_status(self, problems: tuple[str, ...]) -> None:
        if problems != self.status.health:
            self.status = replace(self.status, health=problems)
            self.publish("status", self.status)

    def printer_status(self, state: PrinterState, backlog: int) -> None:
        if (state, backlog) != (self.status.printer, self.status.backlog):
            self.status = replace(self.status, printer=state, backlog=backlog)
            self.publish("status", self.status)

    def queue_board(self, board: Any) -> None:
        self.board = board
        self.publish("queue", board)

    def announce(self, announcement: Any) -> None:
        self.publish("call", announcement)
