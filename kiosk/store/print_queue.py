"""The print queue as the spooler sees it: pending jobs and what a receipt needs from the
check-in, read on its own read-only connection; attempts and reprints written through the
station's one writer (print_jobs rows are added with the check-in, in SqlitePrintJobs)."""

from __future__ import annotations

from sqlite_utils import Database

from kiosk.store.writer import Writer


class PrintQueue:
    def __init__(self, db: Database, writer: Writer | None):
        self.db, self.writer = db, writer

    def _writer(self) -> Writer:
        assert self.writer is not None, "a print queue that writes needs the station's writer"
        return self.writer

    def backlog(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM print_jobs WHERE status = 'pending'")
                   .fetchone()[0])

    def next_pending(self) -> tuple[int, str, str] | None:
        """(job id, check-in id, reason) of the oldest pending job."""
        row = self.db.execute("SELECT id, checkin_id, reason FROM print_jobs "
                              "WHERE status = 'pending' ORDER BY id LIMIT 1").fetchone()
        return (row[0], row[1], row[2]) if row else None

    def last_checkin(self) -> tuple[str, str] | None:
        """(check-in id, checked_in_at) of the newest check-in receipt (never a printed record)."""
        row = self.db.execute("SELECT c.id, c.checked_in_at FROM print_jobs j "
                              "JOIN checkins c ON c.id = j.checkin_id WHERE j.reason = 'checkin' "
                              "ORDER BY j.id DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else None

    def add(self, checkin_id: str, reason: str, created_at: str) -> None:
        with self._writer().transaction() as db:
            db.table("print_jobs").insert({"checkin_id": checkin_id, "reason": reason,
                                           "created_at": created_at})

    def attempted(self, job_id: int, state: str, status: str, printed_at: str | None) -> None:
        with self._writer().transaction() as db:
            db.execute("UPDATE print_jobs SET attempts = attempts + 1, last_state = ?, "
                            "status = ?, printed_at = ? WHERE id = ?",
                            (state, status, printed_at, job_id))

    def checkin(self, checkin_id: str) -> tuple[str, str, int, str, str]:
        """(name, checked_in_at, queue_no, local_date, resident_id) of a check-in."""
        name, checked_in_at, queue_no, local_date, resident_id = self.db.execute(
            "SELECT r.name, c.checked_in_at, c.queue_no, c.local_date, c.resident_id FROM checkins c "
            "JOIN residents r ON r.id = c.resident_id WHERE c.id = ?", (checkin_id,)).fetchone()
        return name, checked_in_at, queue_no, local_date, resident_id

    def visit_dates(self, resident_id: str, limit: int = 10) -> list[str]:
        """Her latest visit dates, newest first (no notes: they stay off paper)."""
        rows = self.db.execute("SELECT DISTINCT visit_date FROM visits WHERE resident_id = ? "
                               "ORDER BY visit_date DESC LIMIT ?", (resident_id, limit)).fetchall()
        return [row[0] for row in rows]
