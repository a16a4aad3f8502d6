"""N7 (issue 23): who may change a resident's care.

The attack: through station B's own pages, with no card of hers present, B's technician
declined wang's overdue check, marked another item done, corrected a visit, enrolled her in a
plan, renamed her and issued her a card; all of it applied at A, her home station, and emptied
A's overdue list. Now such a change by a station that is not her home is accepted (by the
county, which keeps back and ALERTs the rest, and by A's roster rules) only when B's own signed
log shows her card there within the county's presence window before it; a card issued at B
without her there shows her nowhere, and a card B issued is refused once the county revoked B
and no longer trusts the part of B's chain that issued it, whatever date its record says.

Two real station processes (B taps on the session pcscd's first reader, A on its second) and a
county process on loopback; the window is 20 s here (county.toml), a day by default."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from kiosk.domain.registry import Registration
from kiosk.sim.virtual_card import VirtualCard
from kiosk.sim.wallet import issue_virtual_card
from tests.county.stations_rig import StationsRig, events
from tests.county.test_county import county_cli

WINDOW = 20


def county_settings() -> str:
    """The short window, where the county knows the setting (main before N7 does not)."""
    from kiosk.county.config import KNOWN
    return f"presence_window_s = {WINDOW}" if "presence_window_s" in KNOWN else ""


def seed(core) -> dict[str, dict]:
    """wang and li at A, each with a card, an overdue item, an upcoming one and a logged visit."""
    today = core.clock.now().date()
    people = {}
    for n, name in enumerate(("王秀华", "李芳")):
        resident = core.registry.register(Registration(name, "1990-03-12", "东湾村", consent=True),
                                          by="console")
        card = issue_virtual_card(core, "resident", resident.id, bytes([0x04, 0x70 + n, 9, 9]),
                                  "cpu")
        items = core.care.enrol(resident.id, "iud-followup",
                                {"procedure_date": (today - dt.timedelta(days=50)).isoformat()},
                                "console")
        checked = core.care.enrol(resident.id, "pre-pregnancy",
                                  {"enrolment_date": (today - dt.timedelta(days=5)).isoformat()},
                                  "console")
        visit = core.care.log_visit(checked[0].id, today.isoformat(), "completed", "", None,
                                    "console")
        people[name] = {"id": resident.id, "card": card, "overdue": items[0].id,
                        "upcoming": items[1].id, "visit": visit, "visit_item": checked[0].id}
    return people


@pytest.fixture(scope="module")
def rig(tmp_path_factory, pcscd):
    rig = StationsRig(tmp_path_factory.mktemp("n07"), pcscd, county_settings())
    a, b = rig.add("station-a", 1), rig.add("station-b", 0)
    rig.residents = a.seed(seed)
    rig.start_county()
    a.start()
    b.start()
    a.sync()
    b.sync(until=lambda: b.query("SELECT 1 FROM remote_stations WHERE station_id = 'station-a'"))
    yield rig
    rig.close()


def change_her_care(b, who: dict, blank_uid: int) -> None:
    """What B's technician does to her record through B's pages: one change of each kind."""
    staff, today = b.technician(), dt.date.today().isoformat()
    staff.post(f"staff/items/{who['overdue']}/decline")
    staff.post(f"staff/items/{who['upcoming']}/visit", visit_date=today, outcome="completed",
               note="", next_appointment="")
    staff.post(f"staff/items/{who['visit_item']}/visit?corrects={who['visit'].id}",
               visit_date=today, outcome="partly_done", note="", next_appointment="")
    staff.post(f"staff/residents/{who['id']}/enrol", plan="contraceptive-supply",
               anchor_enrolment_date=today)
    staff.post(f"staff/residents/{who['id']}/correct", name="张某某", birth_date="1990-03-12",
               village="东湾村", phone="")
    staff.post(f"staff/residents/{who['id']}/issue", reason="reissue")
    blank = VirtualCard(bytes([0x04, blank_uid, 0x55, 0x66]), "cpu")
    assert b.tap(blank)["kind"] == "card_issued"
    who["b_card"] = blank


CHANGES = ["care_item.declined", "visit.logged", "visit.corrected", "care.enrolled",
           "resident.corrected", "card.issued"]


def her_at_a(a, who: dict) -> dict:
    rid = who["id"]
    return {
        "name": a.query("SELECT name FROM residents WHERE id = ?", (rid,))[0][0],
        "declined": a.query("SELECT declined_on FROM care_plan_items WHERE id = ?",
                            (who["overdue"],))[0][0],
        "done": a.query("SELECT done_on FROM care_plan_items WHERE id = ?", (who["upcoming"],))[0][0],
        "plans": sorted(p for (p,) in a.query("SELECT plan FROM enrolments WHERE resident_id = ?",
                                              (rid,))),
        "visits": len(a.query("SELECT id FROM visits WHERE resident_id = ?", (rid,))),
        "cards": len(a.query("SELECT card_no FROM issued_cards WHERE holder_id = ?", (rid,))),
    }


def test_n07_changes_away_from_home_need_her_card_there(rig):
    a, b = rig.stations["station-a"], rig.stations["station-b"]
    wang, li = rig.residents["王秀华"], rig.residents["李芳"]
    before = {name: her_at_a(a, who) for name, who in rig.residents.items()}
    assert b.tap(wang["card"])["kind"] == "checked_in"  # she was at B once
    seen = time.monotonic()
    assert b.tap(li["card"])["kind"] == "checked_in"  # li is at B now
    change_her_care(b, li, 0x81)  # with her there: accepted everywhere
    time.sleep(max(0.0, seen + WINDOW + 2 - time.monotonic()))
    change_her_care(b, wang, 0x82)  # wang left long ago: no card of hers at B
    b.sync()
    a.sync(until=lambda: her_at_a(a, li)["name"] == "张某某")

    kept = rig.county_query("SELECT type FROM roster_refused WHERE station_id = 'station-b' "
                            "ORDER BY seq")
    # wang's six, and the revocation of her card from A that B's new card would have replaced;
    # of li's only that revocation: a card reissued away from home replaces hers there only
    assert sorted(t for (t,) in kept) == sorted([*CHANGES, "card.revoked", "card.revoked"]), kept
    alerts = rig.alerts()
    assert len(alerts) == len(CHANGES) + 1 and all("station-b" in line for line in alerts)
    assert her_at_a(a, wang) == before["王秀华"]  # her home is as it was: overdue list too
    changed = her_at_a(a, li)
    assert changed["declined"] and changed["done"] and changed["name"] == "张某某"
    assert changed["plans"] == sorted([*before["李芳"]["plans"], "contraceptive-supply"])
    assert changed["visits"] == before["李芳"]["visits"] + 2 and changed["cards"] == 2
    applied = events(a, "roster.applied")
    assert not any(r["station_id"] == "station-b" for e in applied for r in e["refused"])


def test_n07_a_card_b_issued_stops_when_the_county_no_longer_trusts_b(rig):
    """B's key was stolen: revoked with its last trusted seq before li's card from B. That card's
    record is dated before the revocation, yet A refuses it; li's own card still works."""
    a, b = rig.stations["station-a"], rig.stations["station-b"]
    li = rig.residents["李芳"]
    issued = [e for e in events(b, "card.issued") if e["holder_id"] == li["id"]]
    card_no = issued[-1]["card_no"]
    seq = b.query("SELECT seq FROM events WHERE type = 'card.issued' AND payload LIKE ?",
                  (f'%"{card_no}"%',))[0][0]
    county_cli(rig.county_dir, "revoke", "--station", "station-b", "--trusted-seq", str(seq - 1))
    a.sync(until=lambda: a.query("SELECT trusted_seq FROM remote_stations WHERE station_id = "
                                 "'station-b'") == [(seq - 1,)])
    report = a.tap(li["b_card"])
    assert report["kind"] == "card_refused" and report["reason"] == "unknown_issuer"
    assert a.tap(li["card"])["kind"] == "checked_in"


def test_n07_her_home_station_applies_the_same_rule(core):
    """Even if the county served them, A refuses B's changes without her card at B, and takes
    them after B's check-in of her card (its roster rules, kiosk.protocol.roster_rules)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kiosk.keys import StationKey
    from kiosk.protocol.roster import sign_page
    from kiosk.store.sqlite import iter_events
    from kiosk.sync.roster_pull import pull
    county_key = StationKey(Ed25519PrivateKey.generate())
    who = seed(core)["王秀华"]
    card_no = core.db.execute("SELECT card_no FROM issued_cards WHERE holder_id = ?",
                              (who["id"],)).fetchone()[0]
    now = core.clock.now().astimezone(dt.UTC)
    late = (now + dt.timedelta(hours=25)).isoformat()

    def entry(seq, type_, data, at):
        return {"station_id": "station-b", "seq": seq, "type": type_, "data": data, "at": at}

    changes = [("care_item.declined", {"item_id": who["overdue"], "resident_id": who["id"]}),
               ("visit.logged", {"id": "vis-b", "item_id": who["upcoming"], "resident_id": who["id"],
                                 "visit_date": now.date().isoformat(), "outcome": "completed",
                                 "next_appointment": None, "next_item_id": None}),
               ("resident.corrected", {"resident_id": who["id"], "changes": {"name": "张某某"}}),
               ("card.issued", {"card_no": "BCARD00001", "holder_id": who["id"], "kind": "cpu"})]
    seen = entry(1, "checkin.created", {"checkin_id": "ci-b", "resident_id": who["id"],
                                        "card_no": card_no}, now.isoformat())
    pages = [[seen, *(entry(2 + n, t, d, late) for n, (t, d) in enumerate(changes))],
             [entry(10 + n, t, d, now.isoformat()) for n, (t, d) in enumerate(changes)]]

    class Link:
        """A county that serves one page of entries, whatever the rules say."""

        def __init__(self, entries):
            self.entries = entries

        def roster(self, station_id, after, key):
            entries, self.entries = self.entries, []
            page = {"for": station_id, "after": after,
                    "next": f"station-b:{entries[-1]['seq']}" if entries else after,
                    "entries": entries, "stations": {}, "county_time": now.isoformat()}
            return sign_page(page, county_key)
    pull(core, Link(pages[0]), county_key.public)  # a day after her check-in at B: all refused
    first = [e for e in iter_events(core.db) if e.type == "roster.applied"][-1].payload
    assert [r["type"] for r in first["refused"]] == [t for t, _ in changes]
    assert core.db.execute("SELECT name FROM residents WHERE id = ?", (who["id"],)).fetchone() \
        == ("王秀华",)
    pull(core, Link(pages[1]), county_key.public)  # the same within the window after it: taken
    second = [e for e in iter_events(core.db) if e.type == "roster.applied"][-1].payload
    assert second["refused"] == [] and second["entries"] == len(changes)
    assert core.db.execute("SELECT name FROM residents WHERE id = ?", (who["id"],)).fetchone() \
        == ("张某某",)
