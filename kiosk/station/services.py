"""What the web pages may use of the running station, handed over in one object."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from kiosk.station.calling import QueueDesk
from kiosk.station.core import Core
from kiosk.station.desk_sessions import DeskSessions
from kiosk.station.hub import ScreenHub
from kiosk.station.spooler import PrintSpooler
from kiosk.station.staff_desk import StaffDesk


@dataclass
class StationServices:
    core: Core
    desk: StaffDesk
    hub: ScreenHub
    spooler: PrintSpooler | None = None
    calling: QueueDesk | None = None  # the queue's boards and announcements
    desk_sessions: DeskSessions | None = None  # the technician desk on the LAN, if turned on
    desk_fingerprint: str = ""  # SHA-256 of the desk's TLS certificate

    def print_record(self, checkin_id: str) -> None:
        """Queue her record for printing (durable like every receipt) and log that she did."""
        now = self.core.clock.now().astimezone(dt.UTC).isoformat(timespec="microseconds")
        with self.core.uow() as uow:
            uow.print_jobs.enqueue(checkin_id, "record", now)
            uow.record("record.printed", {"checkin_id": checkin_id})
            uow.commit()
        if self.spooler:
            self.spooler.notify()

    def sync_status(self, db: Database) -> dict[str, Any]:
        """Events recorded, how many wait for the county and the last acknowledgement;
        ``db`` is the asking page's own read connection."""
        from kiosk.store.sync_log import sync_state
        state = sync_state(db)
        return {"events": state.head_seq, "backlog": state.backlog, "last_sync": state.last_sync,
                "configured": bool(self.core.config.county.url)}
