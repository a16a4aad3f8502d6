"""The county's own audit trail: every login (and failed one), logout, user change, report
view and export is an entry, append-only (its table refuses UPDATE and DELETE). The auditor
pages show it. Pages call ``record`` through their service, never write it themselves."""

from __future__ import annotations

from kiosk.county.domain.clock import Clock, stamp
from kiosk.county.domain.users import User
from kiosk.county.store.sql import SqlCountyStore
from kiosk.county.store.sql_users import AuditEntry

CONSOLE = "console"  # the actor of a kiosk-county command


class Audit:
    def __init__(self, store: SqlCountyStore, clock: Clock):
        self.store, self.clock = store, clock

    def record(self, actor: User | str, action: str, subject: str = "", address: str = "",
               detail: str = "") -> None:
        name, role = (actor.name, actor.role) if isinstance(actor, User) else (actor, "")
        at = stamp(self.clock.now())
        self.store.write(lambda tx: tx.audit(at, name, role, action, subject[:200], address[:64],
                                             detail[:500]))

    def entries(self, limit: int = 100, before: int | None = None) -> list[AuditEntry]:
        return self.store.audit_entries(limit, before)
