"""The station's core: its database, key, clock and domain services, everything but the
hardware. bootstrap.build_core makes it; the loop, the pages and the CLI use it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlite_utils import Database

from kiosk.adapters.card_access import CardAccess
from kiosk.config.loader import Config
from kiosk.domain.calling import QueueService
from kiosk.domain.card_desk import CardDesk
from kiosk.domain.care import CareService
from kiosk.domain.checkin import CheckInService
from kiosk.domain.registry import ResidentRegistry
from kiosk.domain.staff import StaffService
from kiosk.domain.unit_of_work import Clock, EventFactory
from kiosk.keys import StationKey
from kiosk.store.sqlite import SqliteUnitOfWork
from kiosk.store.writer import Writer


@dataclass
class Core:
    """Database, key and services: everything but the hardware."""

    config: Config
    db: Database
    key: StationKey
    clock: Clock
    events: EventFactory
    uow: Callable[[], SqliteUnitOfWork]  # the one unit-of-work factory the services share
    checkins: CheckInService
    desk: CardDesk
    staff: StaffService
    registry: ResidentRegistry
    care: CareService
    queue: QueueService
    writer: Writer  # the database's one writing connection; ``db`` is its connection
    card_access: CardAccess = CardAccess()  # keys for the cards (the readers and issuance)

    def close(self) -> None:
        """Let go of the writer (the last user in the process closes it and its lock); once."""
        if not getattr(self, "_closed", False):
            self._closed = True
            self.writer.close()
