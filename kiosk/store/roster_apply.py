"""The roster's entries applied to this station's tables: other stations' changes to its own
residents (and, inside a visitor's record, to hers), and what the roster tells every station
(the other stations' keys, revocations). kiosk.store.roster decides which entries to apply;
kiosk.store.rebuild replays the station's own events through the same functions."""

from __future__ import annotations

from kiosk.domain.card_desk import Revocation
from kiosk.store.search_keys import index_resident


def _resident(db, d, by, at, plans):
    """Her registration: from another station (``station:<id>``) inside her record, which
    names her home; or the station's own, replayed by a restore."""
    added = db.execute("INSERT OR IGNORE INTO residents (id, name, birth_date, village, "
                       "consent_version, consent_at, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (d["id"], d["name"], d.get("birth_date"), d.get("village"),
                        d.get("consent_version"), d.get("consent_at"), d.get("registered_at")))
    if added.rowcount:  # new here: her search keys, as registration makes them
        index_resident(db, d["id"], d["name"])
    if by.startswith("station:"):  # another station's resident (not one replayed by a restore)
        db.execute("INSERT INTO homes VALUES (?, ?) ON CONFLICT(resident_id) DO NOTHING",
                   (d["id"], by[len("station:"):]))


def _corrected(db, d, by, at, plans):
    for field, value in d["changes"].items():
        if field in ("name", "birth_date", "village"):
            db.execute(f"UPDATE residents SET {field} = ? WHERE id = ?", (value, d["resident_id"]))
            if field == "name":
                index_resident(db, d["resident_id"], value)


def _consent(db, d, by, at, plans):
    db.execute("UPDATE residents SET consent_version = ?, consent_at = ? WHERE id = ?",
               (d.get("version"), at if d.get("version") else None, d["resident_id"]))


def _card(db, d, by, at, plans):
    """Another station's card: no UID hash is kept (its signed record binds the UID), and
    ``issued_by`` names the station whose key must have signed the record. (A restore replays
    the station's own cards here too, with their role and technician: kiosk.store.rebuild.)"""
    db.execute("INSERT OR IGNORE INTO issued_cards (card_no, role, holder_id, uid_hash, kind, "
               "issued_at, issued_by) VALUES (?, ?, ?, '', ?, ?, ?)",
               (d["card_no"], d.get("role", "resident"), d["holder_id"], d["kind"], at, by))


def _revoked(db, d, by, at, plans):
    db.execute("UPDATE issued_cards SET status = 'revoked' WHERE card_no = ?", (d["card_no"],))
    if by.startswith("station:"):  # its number stays refused here, also once she is forgotten
        db.execute("INSERT OR IGNORE INTO revoked_cards VALUES (?)", (d["card_no"],))


def _enrolled(db, d, by, at, plans):
    spec = plans.get(d["plan"])
    titles = {i.code: i.title for i in spec.items} if spec else {}
    db.execute("INSERT OR IGNORE INTO enrolments VALUES (?, ?, ?, 'enrolled', '{}', ?, ?)",
               (d["enrolment_id"], d["resident_id"], d["plan"], at, by))
    for item in d["items"]:
        db.execute("INSERT OR IGNORE INTO care_plan_items (id, resident_id, plan, title, earliest, "
                   "due, latest, enrolment_id, code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (item["id"], d["resident_id"], d["plan"], titles.get(item["code"], d["plan"]),
                    item["earliest"], item["due"], item["latest"], d["enrolment_id"],
                    item["code"]))


def _declined(db, d, by, at, plans):
    db.execute("UPDATE care_plan_items SET declined_on = COALESCE(declined_on, ?) WHERE id = ?",
               (at[:10], d["item_id"]))


def _visit(db, d, by, at, plans):
    db.execute("INSERT OR IGNORE INTO visits (id, item_id, resident_id, visit_date, outcome, note, "
               "next_appointment, logged_by, logged_at, corrects) VALUES (?, ?, ?, ?, ?, '', ?, "
               "?, ?, ?)", (d["id"], d["item_id"], d["resident_id"], d["visit_date"],
                            d["outcome"], d.get("next_appointment"), by, at, d.get("corrects")))
    db.execute("UPDATE care_plan_items SET done_on = ? WHERE id = ?", (d["visit_date"], d["item_id"]))
    if d.get("next_item_id") and d.get("next_appointment"):
        db.execute("UPDATE care_plan_items SET appointment = ? WHERE id = ?",
                   (d["next_appointment"], d["next_item_id"]))


APPLY = {"resident.registered": _resident, "resident.corrected": _corrected,
         "consent.given": _consent, "consent.withdrawn": _consent, "card.issued": _card,
         "card.revoked": _revoked, "care.enrolled": _enrolled, "care_item.declined": _declined,
         "visit.logged": _visit, "visit.corrected": _visit}


def remote_revoked_at(db):
    """For the card desk: when the county revoked another station, and the last seq of its
    chain the county still trusts, if it did."""
    import datetime as dt

    def revoked_at(station_id: str) -> Revocation | None:
        row = db.execute("SELECT revoked_at, trusted_seq FROM remote_stations WHERE "
                         "station_id = ?", (station_id,)).fetchone()
        if not row or not row[0]:
            return None
        when = dt.datetime.fromisoformat(row[0].replace("Z", "+00:00")).timestamp()
        return Revocation(when, row[1])
    return revoked_at


def remote_key_lookup(db):
    """For the card verifier: another station's public key hex, learned from the roster."""
    def lookup(station_id: str) -> str | None:
        row = db.execute("SELECT public_key FROM remote_stations WHERE station_id = ?",
                         (station_id,)).fetchone()
        return row[0] if row else None
    return lookup


def remote_former_keys(db):
    """For the card verifier: another station's keys before its successor (hex)."""
    def lookup(station_id: str) -> list[str]:
        return [r[0] for r in db.execute("SELECT public_key FROM remote_former_keys WHERE "
                                         "station_id = ?", (station_id,))]
    return lookup
