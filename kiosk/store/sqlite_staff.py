"""SQLite repositories for technicians, issued cards, enrolments, visits and record views."""

from __future__ import annotations

import json

from sqlite_utils import Database

from kiosk.domain.model import IssuedCard, Technician, Visit
from kiosk.store.rows import one, rows


class SqliteTechnicians:
    def __init__(self, db: Database):
        self.db = db

    def get(self, technician_id: str) -> Technician | None:
        row = one(self.db, "SELECT * FROM technicians WHERE id = ?", (technician_id,))
        return Technician(**{**row, "active": bool(row["active"])}) if row else None

    def add(self, technician: Technician) -> None:
        self.db.table("technicians").insert(vars(technician))

    def update(self, technician: Technician) -> None:
        self.db.table("technicians").update(technician.id, vars(technician))


class SqliteIssuedCards:
    def __init__(self, db: Database):
        self.db = db

    def get(self, card_no: str) -> IssuedCard | None:
        row = one(self.db, "SELECT * FROM issued_cards WHERE card_no = ?", (card_no,))
        return IssuedCard(**row) if row else None

    def active_for(self, holder_id: str) -> list[IssuedCard]:
        return [IssuedCard(**r) for r in rows(
            self.db, "SELECT * FROM issued_cards WHERE holder_id = ? AND status = 'active'",
            (holder_id,))]

    def add(self, card: IssuedCard) -> None:
        self.db.table("issued_cards").insert(vars(card))

    def set_status(self, card_no: str, status: str) -> None:
        self.db.execute("UPDATE issued_cards SET status = ? WHERE card_no = ?", (status, card_no))

    def note_revoked(self, card_no: str) -> None:
        """The county says another station's card is revoked: refused here from now on."""
        self.db.execute("INSERT OR IGNORE INTO revoked_cards VALUES (?)", (card_no,))
        self.db.execute("UPDATE issued_cards SET status = 'revoked' WHERE card_no = ? AND "
                        "issued_by LIKE 'station:%'", (card_no,))

    def known_revoked(self, card_no: str) -> bool:
        return self.db.execute("SELECT 1 FROM revoked_cards WHERE card_no = ?",
                               (card_no,)).fetchone() is not None


class SqliteEnrolments:
    def __init__(self, db: Database):
        self.db = db

    def add(self, enrolment_id: str, resident_id: str, plan: str, status: str,
            anchors: dict[str, str], at: str, by: str) -> None:
        self.db.table("enrolments").insert({"id": enrolment_id, "resident_id": resident_id,
                                      "plan": plan, "status": status,
                                      "anchors": json.dumps(anchors), "at": at, "by": by})

    def active_plans(self, resident_id: str) -> set[str]:
        found = rows(self.db, "SELECT DISTINCT e.plan FROM enrolments e JOIN care_plan_items i "
                     "ON i.enrolment_id = e.id WHERE e.resident_id = ? AND e.status = 'enrolled' "
                     "AND i.done_on IS NULL AND i.declined_on IS NULL", (resident_id,))
        return {r["plan"] for r in found}


class SqliteVisits:
    def __init__(self, db: Database):
        self.db = db

    def get(self, visit_id: str) -> Visit | None:
        row = one(self.db, "SELECT * FROM visits WHERE id = ?", (visit_id,))
        return Visit(**row) if row else None

    def add(self, visit: Visit) -> None:
        self.db.table("visits").insert(vars(visit))


class SqliteRecordViews:
    def __init__(self, db: Database):
        self.db = db

    def add(self, resident_id: str, technician_id: str, at: str, what: str) -> None:
        self.db.table("record_views").insert({"resident_id": resident_id, "technician_id": technician_id,
                                        "at": at, "what": what})
