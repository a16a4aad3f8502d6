"""The durable receipt queue's printer side: prints pending jobs whenever the printer can.

Jobs are written with the check-in (same transaction), so a paper-out, an
unplugged printer or a power cut never loses a receipt: the spooler retries with
backoff and prints them, in order, once the printer is ready. A job is marked
printed only after the printer took it, so a crash in between prints it again
rather than never.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from kiosk.adapters.backoff import Backoff
from kiosk.adapters.clock import SystemClock
from kiosk.domain.model import FollowUpStatus, mask_name
from kiosk.domain.queue import DayQueue
from kiosk.domain.unit_of_work import Clock
from kiosk.domain.visitors import placeholder_card
from kiosk.ports import Printer, PrinterState, Receipt
from kiosk.store.database import connect_readonly
from kiosk.store.print_queue import PrintQueue
from kiosk.store.queue import SqliteQueueEntries
from kiosk.store.sqlite import SqliteCareItems
from kiosk.store.writer import Writer

log = logging.getLogger(__name__)


class PrintSpooler:
    def __init__(self, database: Path, printer: Printer, station_name: str, timezone: str,
                 show_service_names: bool = False, max_wait: float = 5.0,
                 on_state: Callable[[PrinterState, int], None] | None = None,
                 clock: Clock | None = None, rooms: int = 1, reprint_seconds: float = 120,
                 writer: Writer | None = None):
        self.database, self.printer, self.rooms = database, printer, rooms
        # Jobs are marked through the station's one writer (the core's); reads use our own
        # read-only connection. Without one given, start() shares this process's writer.
        self.writer = writer
        self._own_writer = False
        self.reprint_seconds = reprint_seconds
        self.clock = clock or SystemClock()
        self.station_name, self.timezone = station_name, timezone
        self.show_service_names = show_service_names
        self.on_state = on_state or (lambda state, backlog: None)
        self.probe_ready, self.probe_trouble = 15.0, min(5.0, max_wait)
        self._last_probe = 0.0
        self.state = PrinterState.READY
        self._wake, self._stop = threading.Event(), threading.Event()
        self._backoff = Backoff(initial=0.5, maximum=max_wait)
        self._thread: threading.Thread | None = None
        self.db: Database = None  # type: ignore[assignment]  # its own connection, opened by start()

    def start(self) -> None:
        if self.writer is None:
            self.writer, self._own_writer = Writer.open(self.database), True
        self.db = connect_readonly(self.database)
        self._thread = threading.Thread(target=self._run, name="print-spooler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)
        if self.db is not None:
            self.db.conn.close()
        if self._own_writer and self.writer is not None:
            self.writer.close()

    def notify(self) -> None:
        """A job was enqueued: look now instead of at the next poll."""
        self._wake.set()

    @property
    def queue(self) -> PrintQueue:
        return PrintQueue(self.db, self.writer)

    def backlog(self) -> int:
        return self.queue.backlog()

    def reprint_last(self) -> bool:
        """The button: reprint the receipt of the station's last check-in, and only within
        ``reprint_seconds`` of it, so a passer-by cannot print the last person's receipt
        (or her printed record) later. False: nothing was queued (the screen says so)."""
        last = self.queue.last_checkin()
        if last is None:
            return False
        checkin_id, checked_in_at = last
        age = self.clock.now() - dt.datetime.fromisoformat(checked_in_at)
        if not dt.timedelta(0) <= age <= dt.timedelta(seconds=self.reprint_seconds):
            return False
        self.queue.add(checkin_id, "reprint", self._now())
        self.notify()
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            job = self.queue.next_pending()
            if job is None:
                self._probe_when_idle()
                continue
            try:
                state = self.printer.print_receipt(self.receipt_for(job[1], job[2]))
            except Exception:  # a printer bug must not stop the queue; the job stays pending
                log.exception("printing job %s failed", job[0])
                state = PrinterState.OFFLINE
            self._record(job[0], state)

    def _probe_when_idle(self) -> None:
        """With nothing to print, still watch the printer so screens show paper-out early."""
        if self._wake.wait(2.0):
            self._wake.clear()
            return
        trouble = self.state not in (PrinterState.READY, PrinterState.DISABLED)
        interval = self.probe_trouble if trouble else self.probe_ready
        if time.monotonic() - self._last_probe < interval:
            return
        self._last_probe = time.monotonic()
        if self._note_state(self.printer.status()):
            self.on_state(self.state, self.backlog())

    def _note_state(self, state: PrinterState) -> bool:
        """Remember the printer's state; log and return True when it changed."""
        changed = state != self.state
        if changed:
            log.log(logging.INFO if state in (PrinterState.READY, PrinterState.DISABLED)
                    else logging.WARNING, "printer %s", state.value)
        self.state = state
        return changed

    def _record(self, job_id: int, state: PrinterState) -> None:
        self._note_state(state)
        status = {PrinterState.READY: "printed", PrinterState.DISABLED: "skipped"}.get(state, "pending")
        self.queue.attempted(job_id, state.value, status,
                             self._now() if state == PrinterState.READY else None)
        self.on_state(state, self.backlog())
        if status != "pending":
            self._backoff.reset()
        else:
            self._wake.wait(self._backoff.next())
            self._wake.clear()

    def receipt_for(self, checkin_id: str, reason: str = "checkin") -> Receipt:
        name, checked_in_at, queue_no, local_date, resident_id = self.queue.checkin(checkin_id)
        items = SqliteCareItems(self.db).for_resident(resident_id)
        status = FollowUpStatus.from_items(items, dt.date.fromisoformat(local_date))
        when = dt.datetime.fromisoformat(checked_in_at).astimezone(ZoneInfo(self.timezone))
        item = status.next_item
        extra: tuple[str, ...] = (item.title,) if item and self.show_service_names else ()
        if reason == "record":
            extra = self._record_lines(resident_id, items, dt.date.fromisoformat(local_date))
        ahead, wait = self._ahead(checkin_id, local_date) if reason == "checkin" else (None, None)
        return Receipt(self.station_name, when.strftime("%Y-%m-%d %H:%M"), queue_no, mask_name(name),
                       item.next_date if item else None, checkin_id[:8].upper(), extra,
                       ahead=ahead, wait_minutes=wait, card_no=placeholder_card(resident_id) or "")

    def _ahead(self, checkin_id: str, local_date: str) -> tuple[int | None, int | None]:
        """How many are ahead of her and, from today's own service times, about how long."""
        day = DayQueue(SqliteQueueEntries(self.db).day(local_date))
        return day.ahead_of(checkin_id), day.estimated_wait_minutes(checkin_id, self.rooms)

    def _record_lines(self, resident_id: str, items, today: dt.date) -> tuple[str, ...]:
        """Her printed record: upcoming dates and past visit dates, no staff notes."""
        lines = ["我的随访 My follow-up visits:"]
        for item in items:
            if item.status(today) in ("upcoming", "due", "overdue"):
                title = item.title if self.show_service_names else "随访 Follow-up visit"
                lines.append(f"{item.next_date} {title}")
        visits = self.queue.visit_dates(resident_id)
        if visits:
            lines.append("既往随访 Past visits: " + ", ".join(visits))
        return tuple(lines)

    def _now(self) -> str:
        return self.clock.now().astimezone(dt.UTC).isoformat(timespec="microseconds")
