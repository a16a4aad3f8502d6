"""Residents of other stations at this one (issue 24): where they live, visitors kept for a
while, offline check-ins waiting for their link, and forgetting.

A station holds its own residents, and of the others only visitors: looked up at the county
when their card was tapped here, kept ``roster.visitor_days`` after their last tap, then
forgotten: every row about her goes (her record, cards, plans, visits, check-ins and their
queue entries and receipts, search keys), and the events of what the station did for her stay
in its log. A resident who moved away is forgotten the same way once she has no check-in
today. Forgotten rows are overwritten (``secure_delete``), and after a large purge (the first
pull after the upgrade) the file is rebuilt (VACUUM), so a stolen SD card does not hold their
names in free pages either."""

from __future__ import annotations

import datetime as dt
import logging

from sqlite_utils import Database

from kiosk.domain.visitors import PLACEHOLDER, placeholder_id

log = logging.getLogger(__name__)
VACUUM_AT = 100  # residents forgotten at once: above this the file is rebuilt
VACUUM_FLAG = "vacuum_after_purge"  # set by the upgrade: its first purge rebuilds the file


class SqliteHomes:
    def __init__(self, db: Database):
        self.db = db

    def get(self, resident_id: str) -> str | None:
        row = self.db.execute("SELECT station_id FROM homes WHERE resident_id = ?",
                              (resident_id,)).fetchone()
        return row[0] if row else None

    def set(self, resident_id: str, station_id: str) -> None:
        self.db.execute("INSERT INTO homes VALUES (?, ?) ON CONFLICT(resident_id) DO UPDATE SET "
                        "station_id = excluded.station_id", (resident_id, station_id))

    def clear(self, resident_id: str) -> None:
        self.db.execute("DELETE FROM homes WHERE resident_id = ?", (resident_id,))


class SqliteVisitors:
    def __init__(self, db: Database):
        self.db = db

    def tapped(self, resident_id: str, local_date: str) -> None:
        self.db.execute("UPDATE visitors SET last_tap = MAX(last_tap, ?) WHERE resident_id = ?",
                        (local_date, resident_id))

    def hold(self, resident_id: str, local_date: str) -> None:
        """Her record came from the county today: keep it until ``visitor_days`` after."""
        self.db.execute("INSERT INTO visitors VALUES (?, ?, ?) ON CONFLICT(resident_id) DO UPDATE "
                        "SET last_tap = MAX(last_tap, excluded.last_tap), looked_up_on = "
                        "excluded.looked_up_on", (resident_id, local_date, local_date))

    def stale(self, resident_id: str, local_date: str) -> bool:
        """A visitor whose record came from the county before today (asked again at her first
        tap of the day, so her plan is as her home station last left it)."""
        return self.db.execute("SELECT 1 FROM visitors WHERE resident_id = ? AND "
                               "COALESCE(looked_up_on, '') < ?",
                               (resident_id, local_date)).fetchone() is not None

    def wait_for_link(self, card_no: str, issuer: str, record_hex: str, tap_seq: int,
                      at: str) -> None:
        self.db.execute("INSERT INTO visitor_cards (card_no, issuer, record, tap_seq, first_tap) "
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT(card_no) DO UPDATE SET "
                        "tap_seq = excluded.tap_seq, refused = NULL",
                        (card_no, issuer, record_hex, tap_seq, at))

    def waiting(self) -> list[tuple[str, str, str, int]]:
        """(card number, issuer, record hex, last tap seq) of offline check-ins to link."""
        return [tuple(row) for row in self.db.execute(
            "SELECT card_no, issuer, record, tap_seq FROM visitor_cards WHERE refused IS NULL "
            "ORDER BY first_tap")]

    def refused(self, card_no: str, reason: str) -> None:
        self.db.execute("UPDATE visitor_cards SET refused = ? WHERE card_no = ?", (reason, card_no))

    def link(self, card_no: str, resident_id: str) -> list[tuple[str, str]]:
        """Her offline check-ins move from the stand-in to her record, which then goes; the
        (check-in id, checked-in time) moved, for their ``checkin.linked`` events."""
        holder = placeholder_id(card_no)
        moved = [tuple(r) for r in self.db.execute(
            "SELECT id, checked_in_at FROM checkins WHERE resident_id = ? AND local_date NOT IN "
            "(SELECT local_date FROM checkins WHERE resident_id = ?)", (holder, resident_id))]
        self.db.conn.executemany("UPDATE checkins SET resident_id = ? WHERE id = ?",
                                 [(resident_id, checkin_id) for checkin_id, _ in moved])
        if self.db.execute("SELECT 1 FROM checkins WHERE resident_id = ?", (holder,)).fetchone():
            log.warning("visitor card %s: a check-in stays on its card number (she was checked "
                        "in twice that day)", card_no)
        else:
            forget(self.db, holder)
        self.db.execute("DELETE FROM visitor_cards WHERE card_no = ?", (card_no,))
        return moved


def forget(db: Database, resident_id: str) -> None:
    """Every row about her (module docstring); her revoked cards' numbers stay refused."""
    args = (resident_id,)
    db.execute("INSERT OR IGNORE INTO revoked_cards SELECT card_no FROM issued_cards WHERE "
               "holder_id = ? AND status = 'revoked' AND role = 'resident'", args)
    mine = "SELECT id FROM checkins WHERE resident_id = ?"
    for statement in (f"DELETE FROM queue_entries WHERE checkin_id IN ({mine})",
                      f"DELETE FROM print_jobs WHERE checkin_id IN ({mine})",
                      "DELETE FROM checkins WHERE resident_id = ?",
                      "DELETE FROM visits WHERE resident_id = ?",
                      "DELETE FROM care_plan_items WHERE resident_id = ?",
                      "DELETE FROM enrolments WHERE resident_id = ?",
                      "DELETE FROM issued_cards WHERE holder_id = ? AND role = 'resident'",
                      "DELETE FROM cards WHERE resident_id = ?",
                      "DELETE FROM record_views WHERE resident_id = ?",
                      "DELETE FROM resident_search_keys WHERE resident_id = ?",
                      "DELETE FROM roster_served WHERE resident_id = ?",
                      "DELETE FROM presence WHERE resident_id = ?",
                      "DELETE FROM homes WHERE resident_id = ?",
                      "DELETE FROM visitors WHERE resident_id = ?",
                      "DELETE FROM residents WHERE id = ?"):
        db.execute(statement, args)


def to_forget(db: Database, today: dt.date, visitor_days: int) -> list[str]:
    """Residents of other stations no longer kept: not tapped here for ``visitor_days``
    (never, for those the roster brought before the upgrade), none checked in today; and
    stand-ins of offline check-ins as old."""
    cutoff = (today - dt.timedelta(days=visitor_days)).isoformat()
    return [row[0] for row in db.execute(
        """SELECT h.resident_id FROM homes h
           WHERE NOT EXISTS (SELECT 1 FROM visitors v WHERE v.resident_id = h.resident_id
                             AND v.last_tap > :cutoff)
             AND NOT EXISTS (SELECT 1 FROM checkins c WHERE c.resident_id = h.resident_id
                             AND c.local_date >= :today)
           UNION
           SELECT r.id FROM residents r WHERE r.id LIKE :stand_in
             AND NOT EXISTS (SELECT 1 FROM checkins c WHERE c.resident_id = r.id
                             AND c.local_date > :cutoff)""",
        {"cutoff": cutoff, "today": today.isoformat(), "stand_in": PLACEHOLDER + "%"})]


def purge(db: Database, today: dt.date, visitor_days: int) -> int:
    """Forget those ``to_forget`` names (inside the caller's unit of work), overwriting what
    they leave; how many."""
    gone = to_forget(db, today, visitor_days)
    if not gone:
        return 0
    db.execute("PRAGMA secure_delete = ON")  # freed pages too, not only freed cells
    try:
        for resident_id in gone:
            forget(db, resident_id)
        if any(resident_id.startswith(PLACEHOLDER) for resident_id in gone):
            db.execute("DELETE FROM visitor_cards WHERE ? || card_no NOT IN (SELECT id FROM "
                       "residents)", (PLACEHOLDER,))
    finally:
        db.execute("PRAGMA secure_delete = FAST")  # as the writer runs otherwise
    return len(gone)


def needs_vacuum(db: Database, forgotten: int) -> bool:
    flagged = db.execute("SELECT 1 FROM meta WHERE key = ?", (VACUUM_FLAG,)).fetchone()
    return forgotten >= VACUUM_AT or (flagged is not None and forgotten > 0)


def compact(db: Database, rebuild: bool) -> None:
    """After a purge, outside any transaction on the writer: rebuild the file (``rebuild``)
    or only empty the write-ahead log, so neither keeps a forgotten name."""
    if rebuild:
        log.info("rebuilding the database file after forgetting residents of other stations")
        db.execute("VACUUM")
        db.execute("DELETE FROM meta WHERE key = ?", (VACUUM_FLAG,))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
