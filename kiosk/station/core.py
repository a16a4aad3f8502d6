"""The station's core: its database, key, clock and domain services, everything but the
hardware. bootstrap.build_core makes it; the loop, the pages and the CLI use it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from sqlite_utils import Database

import kiosk
from kiosk.adapters.card_access import CardAccess
from kiosk.adapters.station_clock import StationClock
from kiosk.config.loader import Config
from kiosk.domain.calling import QueueService
from kiosk.domain.card_desk import CardDesk
from kiosk.domain.care import CareService
from kiosk.domain.checkin import CheckInService
from kiosk.domain.clock_setting import ClockService
from kiosk.domain.registry import ResidentRegistry
from kiosk.domain.staff import StaffService
from kiosk.domain.unit_of_work import EventFactory
from kiosk.errors import KeyFileError
from kiosk.keys import StationKey
from kiosk.store.database import first_event
from kiosk.store.rebuild import successor_keys
from kiosk.store.sqlite import SqliteUnitOfWork
from kiosk.store.writer import Writer


@dataclass
class Core:
    """Database, key and services: everything but the hardware."""

    config: Config
    db: Database
    key: StationKey
    clock: StationClock  # the machine's clock judged against the station's time sources
    events: EventFactory
    uow: Callable[[], SqliteUnitOfWork]  # the one unit-of-work factory the services share
    checkins: CheckInService
    desk: CardDesk
    staff: StaffService
    registry: ResidentRegistry
    care: CareService
    queue: QueueService
    writer: Writer  # the database's one writing connection; ``db`` is its connection
    clocks: ClockService  # setting the clock, dating what was done while it was not set
    card_access: CardAccess = CardAccess()  # keys for the cards (the readers and issuance)

    def ensure_genesis(self) -> None:
        """A new log starts with the station's identity; an old one must match the key file
        (or, after a restore, the key the newest ``station.restored`` event handed the chain to)."""
        with self.writer.lock:
            row = first_event(self.db)
            successors = [k for _, k in successor_keys(self.db)]
        public_hex = self.key.public_bytes().hex()
        if row is None:
            with self.uow() as uow:
                uow.record("station.initialized", {"station_id": self.config.station.id,
                                                   "public_key": public_hex,
                                                   "software": f"kiosk {kiosk.__version__}"})
                uow.commit()
            return
        keys = [json.loads(row[0]).get("public_key")] + successors
        station = self.config.station
        if keys[-1] != public_hex or row[1] != station.id:
            raise KeyFileError(
                f"the key file {station.key_file} or station id {station.id!r} does not match "
                f"the database {station.database} (made for station {row[1]!r}); "
                "restore the station's own key file, or point station.database at a new file")

    def close(self) -> None:
        """Let go of the writer (the last user in the process closes it and its lock); once."""
        if not getattr(self, "_closed", False):
            self._closed = True
            self.writer.close()
