"""Read models for the technician pages and her own view (plain SQL, no writes).

Pages read through their own connection; writes go through the unit of work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlite_utils import Database

from kiosk.domain.model import CarePlanItem, Resident, Visit, local_date
from kiosk.domain.registry import Search
from kiosk.store.rows import one, rows
from kiosk.store.search_keys import prefix_range

PAGE_SIZE = 25
LISTS = ("due", "overdue", "week")
# (condition, order) per list. A unary + keeps SQLite off an index on purpose: each page
# walks one index in its order, each count stays inside one covering index.
_LISTS = {
    "due": ("i.latest >= :today AND +i.earliest <= :today", "i.latest, i.earliest, i.rowid"),
    "overdue": ("+i.latest < :today", "i.due, i.rowid"),
    "week": ("i.earliest > :today AND i.earliest <= :week", "i.earliest, i.rowid"),
}


@dataclass(frozen=True)
class WorkList:
    which: str
    rows: list[dict]
    total: int
    page: int
    pages: int


def work_list(db: Database, which: str, today: dt.date, village: str = "", page: int = 1,
              per_page: int = PAGE_SIZE) -> WorkList:
    """Open plan items due now (window closing soonest first), overdue (with days since the
    due date; None for an item that is not overdue) or opening within 7 days."""
    condition, order = _LISTS[which]
    where = (f"i.done_on IS NULL AND i.declined_on IS NULL AND {condition}"
             + (" AND r.village = :village" if village else ""))
    params = {"today": today.isoformat(), "week": (today + dt.timedelta(days=7)).isoformat(),
              "village": village, "limit": per_page, "offset": (max(page, 1) - 1) * per_page}
    found = rows(db, f"""
        SELECT i.id AS item_id, i.title, i.plan, i.code, i.earliest, i.due, i.latest, i.appointment,
               r.id AS resident_id, r.name, r.village, r.phone
        FROM care_plan_items i JOIN residents r ON r.id = i.resident_id
        WHERE {where} ORDER BY {order} LIMIT :limit OFFSET :offset""", params)
    for row in found:  # overdue: past its window; counted from the due date, as the list says
        overdue = dt.date.fromisoformat(row["latest"]) < today
        row["days_overdue"] = (today - dt.date.fromisoformat(row["due"])).days if overdue else None
    if village:
        count = f"SELECT COUNT(*) AS n FROM care_plan_items i JOIN residents r " \
                f"ON r.id = i.resident_id WHERE {where}"
    else:
        count = f"SELECT COUNT(*) AS n FROM care_plan_items i WHERE {where.replace('+i.latest', 'i.latest')}"
    total = (one(db, count, params) or {"n": 0})["n"]
    return WorkList(which, found, total, max(page, 1), max(1, -(-total // per_page)))


def blocked_technicians(db: Database) -> list[dict]:
    """Technicians blocked after too many wrong PINs, for another technician to unblock."""
    return rows(db, "SELECT id, name, blocked_at FROM technicians "
                    "WHERE blocked_at IS NOT NULL AND active = 1 ORDER BY name")


def villages(db: Database) -> list[str]:
    return [r["village"] for r in rows(db, "SELECT DISTINCT village FROM residents "
                                           "WHERE village IS NOT NULL ORDER BY village")]


_FOUND = "r.id, r.name, r.village, r.birth_date, r.consent_version"


def search_residents(db: Database, search: Search | None, village: str = "",
                     limit: int = 50) -> list[dict]:
    clauses: list[str] = []
    params: list[str] = []
    if search and search.kind == "national_id":
        clauses.append("r.national_id_hash = ?")
        params.append(search.id_hash or "")
    elif search and search.kind == "phone":
        clauses.append("r.phone = ?")
        params.append(search.text)
    elif search and search.text:
        return _by_name(db, search.text, village, limit)
    if village:
        clauses.append("r.village = ?")
        params.append(village)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    return rows(db, f"SELECT {_FOUND} FROM residents r {where} ORDER BY r.name LIMIT ?",
                (*params, limit))


def similar_residents(db: Database, name: str, birth_date: str, village: str,
                      limit: int = 10) -> list[dict]:
    """Residents who may be her already: the same name and birth date, or the same name in
    the same village (shown before a second record is made)."""
    if not name or not (birth_date or village):
        return []
    return rows(db, f"""
        SELECT {_FOUND} FROM residents r WHERE r.name = :name
        AND ((:birth != '' AND r.birth_date = :birth) OR (:village != '' AND r.village = :village))
        ORDER BY r.birth_date, r.id LIMIT :limit""",
                {"name": name, "birth": birth_date, "village": village, "limit": limit})


def _by_name(db: Database, text: str, village: str, limit: int) -> list[dict]:
    """Characters, full pinyin or initials (store/search_keys.py), or a resident id as it is.
    The first ``limit`` residents in key order (the index's), shown by name: a one-letter
    search stops after ``limit`` residents instead of sorting every match."""
    low, high = prefix_range(text) or ("", "")
    in_village = "AND r.village = :village" if village else ""
    found = rows(db, f"""
        SELECT * FROM (
            SELECT DISTINCT {_FOUND} FROM resident_search_keys k
            JOIN residents r ON r.id = k.resident_id
            WHERE k.key >= :low AND k.key < :high {in_village} ORDER BY k.key LIMIT :limit)
        ORDER BY name""", {"low": low, "high": high, "village": village, "limit": limit})
    by_id = rows(db, f"SELECT {_FOUND} FROM residents r WHERE r.id = :id {in_village}",
                 {"id": text.strip(), "village": village})
    ids = {r["id"] for r in by_id}
    return (by_id + [r for r in found if r["id"] not in ids])[:limit]


@dataclass(frozen=True)
class ResidentRecord:
    resident: Resident
    items: list[CarePlanItem]
    visits: list[Visit]  # current versions only (a corrected visit is replaced by its correction)
    cards: list[dict]
    enrolments: list[dict]
    views: list[dict]  # technician views in the last 90 days


def resident_record(db: Database, resident_id: str, now: dt.datetime) -> ResidentRecord | None:
    row = one(db, "SELECT * FROM residents WHERE id = ?", (resident_id,))
    if row is None:
        return None
    items = [CarePlanItem(**r) for r in rows(
        db, "SELECT * FROM care_plan_items WHERE resident_id = ? ORDER BY due, id", (resident_id,))]
    visits = [Visit(**r) for r in rows(db, """
        SELECT * FROM visits v WHERE v.resident_id = ?
        AND NOT EXISTS (SELECT 1 FROM visits c WHERE c.corrects = v.id)
        ORDER BY v.visit_date DESC, v.logged_at DESC""", (resident_id,))]
    cards = rows(db, "SELECT card_no, kind, issued_at, status FROM issued_cards "
                     "WHERE holder_id = ? ORDER BY issued_at DESC", (resident_id,))
    enrolments = rows(db, "SELECT id, plan, status, anchors, at FROM enrolments "
                          "WHERE resident_id = ? ORDER BY at DESC", (resident_id,))
    since = (now - dt.timedelta(days=90)).astimezone(dt.UTC).isoformat(timespec="seconds")
    views = rows(db, """
        SELECT v.at, v.what, COALESCE(t.name, v.technician_id) AS technician
        FROM record_views v LEFT JOIN technicians t ON t.id = v.technician_id
        WHERE v.resident_id = ? AND v.at >= ? ORDER BY v.at DESC""", (resident_id, since))
    return ResidentRecord(Resident(**row), items, visits, cards, enrolments, views)


@dataclass(frozen=True)
class ViewsOnADay:
    """One technician's openings of her record on one local day."""

    day: str  # the station's local date, ISO
    technician: str
    count: int


def views_by_day(views: list[dict], timezone: str) -> list[ViewsOnADay]:
    """Her record's views (newest first, as resident_record gives them) as one line per
    technician and day with a count, instead of one line per opening; newest first."""
    counts: dict[tuple[str, str], int] = {}
    for view in views:
        day = local_date(dt.datetime.fromisoformat(view["at"]), timezone).isoformat()
        key = (day, view["technician"] or "")
        counts[key] = counts.get(key, 0) + 1
    return [ViewsOnADay(day, technician, n) for (day, technician), n in counts.items()]


def home_station(db: Database, resident_id: str) -> str | None:
    """Her home station if it is another one (None: this station's own resident)."""
    row = one(db, "SELECT station_id FROM homes WHERE resident_id = ?", (resident_id,))
    return row["station_id"] if row else None


def station_ids(db: Database) -> list[str]:
    """The other stations the roster named (where she may move)."""
    return [r["station_id"] for r in rows(db, "SELECT station_id FROM remote_stations "
                                              "WHERE revoked_at IS NULL ORDER BY station_id", ())]


def card_lookup(db: Database, card_no: str) -> dict | None:
    return one(db, "SELECT * FROM issued_cards WHERE card_no = ?", (card_no,))


@dataclass(frozen=True)
class Dashboard:
    checkins_today: int
    queue: list[dict]
    per_day: list[tuple[str, int]]  # the last 30 days, oldest first


def dashboard(db: Database, today: dt.date) -> Dashboard:
    queue = rows(db, """
        SELECT c.queue_no, c.checked_in_at, r.name FROM checkins c
        JOIN residents r ON r.id = c.resident_id
        WHERE c.local_date = ? ORDER BY c.queue_no""", (today.isoformat(),))
    start = today - dt.timedelta(days=29)
    counts = {r["local_date"]: r["n"] for r in rows(
        db, "SELECT local_date, COUNT(*) AS n FROM checkins WHERE local_date >= ? "
            "GROUP BY local_date", (start.isoformat(),))}
    per_day = [((start + dt.timedelta(days=n)).isoformat(),
                counts.get((start + dt.timedelta(days=n)).isoformat(), 0)) for n in range(30)]
    return Dashboard(len(queue), queue, per_day)


def technician_cards(
        db: Database) -> list[tuple[str, str, int, str | None, str | None, str | None]]:
    """(id, name, active, locked_until, blocked_at, active card numbers) of every technician,
    by name."""
    return [tuple(row) for row in db.execute("""
        SELECT t.id, t.name, t.active, t.locked_until, t.blocked_at,
               (SELECT GROUP_CONCAT(card_no) FROM issued_cards c
                WHERE c.holder_id = t.id AND c.status = 'active')
        FROM technicians t ORDER BY t.name""").fetchall()]


def unconfirmed_checkins(db: Database, limit: int = 50) -> list[dict]:
    """Check-ins whose time could not be confirmed (taken while the clock was not set, in a
    boot that ended before it was set): their day is the station's guess."""
    return rows(db, "SELECT local_date, queue_no, checked_in_at FROM checkins "
                    "WHERE time_unconfirmed = 1 ORDER BY checked_in_at DESC LIMIT ?", (limit,))
