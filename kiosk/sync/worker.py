"""The station's sync worker: pushes the signed event log to the county, in order, in batches.

Runs as a thread of the station process (`kiosk serve`), reading through its own read-only
connection and keeping acknowledgements through the station's one writer, so it never holds
up a check-in (the network waits happen outside any transaction). Progress is the county's signed acknowledgement,
stored with the highest sequence it covers; after a restart the worker resumes
from there. Network trouble backs off exponentially with jitter (up to 10
minutes); a "gap" answer resumes from the sequence the county expects.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time

from kiosk.adapters.clock import SystemClock
from kiosk.domain.unit_of_work import Clock
from kiosk.errors import KioskError, ProtocolError, StoreUnavailable
from kiosk.ports import Ack, CountyLink, CountyRefused
from kiosk.protocol.sync import MAX_EVENTS, take_batch, verify_ack
from kiosk.store.sync_log import SyncState, event_hash, events_after, keep_ack, kept_acks, sync_state
from kiosk.sync.request import SYNC_NOW, SyncResult, request_sync, take_request, write_result

log = logging.getLogger(__name__)
MAX_BACKOFF = 600.0
IDLE_POLL = 15.0


def sync_now(data_dir) -> None:
    """Ask the sync worker (the station's thread, or another process) to push at once."""
    request_sync(data_dir)


class LogTruncated(KioskError, RuntimeError):
    """The log no longer holds an event the county acknowledged: events were deleted or
    rewritten. Pushing would hide that, so sync refuses to run."""

    def __init__(self, acked_seq: int, head_seq: int):
        super().__init__(f"the county acknowledged events up to seq {acked_seq}, but the log "
                         f"holds {head_seq} events or a different event there")
        self.acked_seq, self.head_seq = acked_seq, head_seq


class SyncWorker:
    """``writer`` (store.writer.Writer) keeps the acknowledgements; ``reads`` is the worker's
    own read-only connection (default: the writer's, for a single-threaded caller)."""

    def __init__(self, writer, link: CountyLink, station_id: str, county_key=None,
                 on_progress=None, rng: random.Random | None = None,
                 batch_events: int = MAX_EVENTS, trigger_dir=None, after_push=None,
                 clock: Clock | None = None, wake: threading.Event | None = None, reads=None,
                 county_time=None):
        self.writer, self.link, self.station_id = writer, link, station_id
        self.db = reads if reads is not None else writer.db
        self.clock = clock or SystemClock()
        self.county_key = county_key  # Ed25519 public key; None only in tests without one
        self.on_progress = on_progress or (lambda state: None)
        self.rng = rng or random.Random()
        self.failures, self.batch_events = 0, min(batch_events, MAX_EVENTS)
        self.trigger_dir = trigger_dir  # where technicians' "sync now" leaves its file
        self.after_push = after_push  # e.g. pull the county's roster feed
        self.wake = wake or threading.Event()  # set by a signal: push now
        self.answer_to = ""  # the token of a console's "sync now" that wants to hear back
        # county_time(time, sent, received): a signed acknowledgement's time with the monotonic
        # times of the request and its answer (kiosk.adapters.station_clock.county_said)
        self.county_time = county_time

    def _batch(self, after: int) -> list[dict]:
        return take_batch(events_after(self.db, after, self.batch_events), self.batch_events)

    def push_pending(self) -> SyncState:
        """Push until the county has everything (or raise on trouble)."""
        from kiosk.domain.events import Event
        self.check_log_holds_acks()
        state = sync_state(self.db)
        start = state.acked_seq
        while True:
            batch = self._batch(start)
            if not batch:
                return sync_state(self.db)
            try:
                sent = self.clock.monotonic_ns()
                ack = self.link.push(self.station_id, [Event(**e) for e in batch],
                                     head=state.head_seq)
            except CountyRefused as refused:
                if refused.reason == "gap" and refused.expected_seq:
                    log.warning("county expects seq %d; resuming there", refused.expected_seq)
                    start = refused.expected_seq - 1
                    continue
                raise
            self._keep(ack, batch)
            if self.county_time is not None:  # signed and checked: a time source of the station
                self.county_time(ack.county_time, sent, self.clock.monotonic_ns())
            start = ack.seq
            state = sync_state(self.db)
            self.on_progress(state)

    def check_log_holds_acks(self) -> None:
        """Refuse (LogTruncated) when the newest acknowledgement kept is not in the log."""
        acks = kept_acks(self.db, self.station_id)
        if acks and event_hash(self.db, acks[0].seq) != acks[0].hash:
            head = sync_state(self.db).head_seq
            log.error("ALERT the event log is shorter than the county acknowledged "
                      "(acknowledged %d, log holds %d): sync refused", acks[0].seq, head)
            raise LogTruncated(acks[0].seq, head)

    def _keep(self, ack: Ack, batch: list[dict]) -> None:
        if self.county_key is not None:
            verify_ack(vars(ack), self.county_key)
        if ack.station_id == self.station_id and ack.seq > sync_state(self.db).head_seq:
            # The county holds more than this log: the acknowledgements were deleted too.
            log.error("ALERT the county holds events up to %d, beyond this log's end", ack.seq)
            raise LogTruncated(ack.seq, sync_state(self.db).head_seq)
        if ack.station_id != self.station_id or event_hash(self.db, ack.seq) != ack.hash:
            raise ProtocolError(f"acknowledgement for seq {ack.seq} does not match this station's log")
        now = self.clock.now().astimezone(dt.UTC).isoformat(timespec="seconds")
        self.writer.run(lambda db: keep_ack(db, ack, now))

    def next_delay(self) -> float:
        """Exponential backoff with full jitter, capped at 10 minutes."""
        return self.rng.uniform(0, min(MAX_BACKOFF, 2.0 * 2 ** min(self.failures, 12)))

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            error = ""
            try:
                state = self.push_pending()
                if self.after_push:
                    self.after_push()
                self.failures = 0
                delay = IDLE_POLL
                log.debug("in sync up to seq %d", state.acked_seq)
            except CountyRefused as refused:
                self.failures += 1
                delay = self.next_delay()
                error = f"county refused the log: {refused}"
                log.error("ALERT county refused the log: %s; retrying in %.0f s", refused, delay)
            except (OSError, ValueError, StoreUnavailable) as exc:
                self.failures += 1
                delay = self.next_delay()
                error = str(exc) or type(exc).__name__
                log.warning("sync failed (%s); retrying in %.0f s", exc, delay)
            self._answer(error, delay)
            self._sleep(delay, stop)

    def _answer(self, error: str, delay: float) -> None:
        """Tell the console that asked for this push (kiosk sync) how it went."""
        if not self.answer_to or self.trigger_dir is None:
            return
        state = sync_state(self.db)
        try:
            write_result(self.trigger_dir, SyncResult(self.answer_to, error, round(delay, 1),
                                                      state.acked_seq, state.head_seq))
        except OSError as exc:
            log.warning("could not answer the sync request: %s", exc)
        self.answer_to = ""

    def _sleep(self, delay: float, stop: threading.Event) -> None:
        """Wait ``delay`` seconds, or less if woken (signal, stop, or the sync-now file)."""
        from pathlib import Path
        trigger = Path(self.trigger_dir) / SYNC_NOW if self.trigger_dir else None
        deadline = time.monotonic() + delay
        while not stop.is_set() and time.monotonic() < deadline:
            if self.wake.wait(min(1.0, max(0.0, deadline - time.monotonic()))):
                self.wake.clear()
                return
            if trigger is not None and trigger.exists():
                self.answer_to = take_request(trigger.parent) or ""
                self.failures = 0
                return
