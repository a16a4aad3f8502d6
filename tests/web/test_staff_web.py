"""A technician's working day through the real Flask app and station loop (fake reader).

The same flows run in Chromium through real pcscd in tests/browser/test_browser_staff.py;
these cover the rules in detail and fast.
"""

from __future__ import annotations

import datetime as dt
import re

from kiosk.domain.outcomes import CardRefused, CheckedIn
from kiosk.sim.virtual_card import VirtualCard
from kiosk.store.sqlite import iter_events
from tests.web.staff_kiosk import PIN, Kiosk, issue, register

# The ``kiosk`` and ``tech_card`` fixtures are in tests/conftest.py (tests/security uses them too).


def test_login_with_card_and_pin_then_dashboard(kiosk, tech_card):
    assert kiosk.client.get("/staff/").status_code == 302  # not logged in: to the login page
    kiosk.tap(tech_card)
    assert 'data-screen="pin_entry"' in kiosk.client.get("/").get_data(as_text=True)
    response = kiosk.login(tech_card)
    assert response.status_code == 302 and "kiosk_staff=" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]
    page = kiosk.client.get("/staff/").get_data(as_text=True)
    assert "<svg" in page and "今日签到" in page
    assert "kiosk-station:v1:test-station:" in page and "enrolment code" in page  # QR for the county
    assert kiosk.events("staff.login")


def test_every_form_needs_the_csrf_token(kiosk, tech_card):
    kiosk.login(tech_card)
    response = kiosk.client.post("/staff/residents/new", data={"name": "李明"})
    assert response.status_code == 400
    assert kiosk.core.db.execute("SELECT COUNT(*) FROM residents").fetchone()[0] == 0


def test_five_wrong_pins_lock_for_five_minutes_across_restarts(kiosk, tech_card, core, config,
                                                               clock):
    for _n in range(4):
        assert kiosk.login(tech_card, "0000").status_code == 403
    response = kiosk.login(tech_card, "0000")  # the 5th
    assert response.status_code == 403 and "5 分钟" in response.get_data(as_text=True)
    from kiosk.bootstrap import build_core
    restarted = Kiosk(build_core(config, clock=clock))
    assert restarted.login(tech_card, PIN).status_code == 403  # the 6th, right PIN, still locked
    assert restarted.events("staff.login_refused")
    clock.advance(minutes=5, seconds=1)
    assert restarted.login(tech_card, PIN).status_code == 302


def test_register_validates_on_the_server_in_both_languages(kiosk, tech_card):
    kiosk.login(tech_card)
    response = kiosk.post("/staff/residents/new", name="", birth_date="1994-03-12",
                          village="东湾村", consent="health-data-consent-v1")
    assert response.status_code == 422
    assert "此项必填 / This field is required" in response.get_data(as_text=True)
    response = kiosk.post("/staff/residents/new", name="陈", national_id="110101199003070000",
                          consent="")
    assert "身份证号校验码不正确 / The ID number's check digit is wrong" in \
        response.get_data(as_text=True).replace("&#39;", "'")


def test_registration_keeps_only_what_consent_allows(kiosk, tech_card, core):
    kiosk.login(tech_card)
    with_consent = register(kiosk, "𠮷田美", national_id="11010119900307803X")
    without = register(kiosk, "李明", consent=False, national_id="110101199003078048")
    rows = {r[0]: r for r in core.db.execute(
        "SELECT id, name, birth_date, village, phone, national_id_hash, consent_version "
        "FROM residents")}
    assert rows[with_consent][1] == "𠮷田美" and rows[with_consent][6] == "health-data-consent-v1"
    assert rows[with_consent][5] and "11010119900307803X" not in str(rows[with_consent])
    assert rows[without][2:] == (None, None, None, None, None)  # name and card binding only
    everything = "".join(e.payload.__repr__() for e in iter_events(core.db))
    assert "11010119900307803X" not in everything  # the ID number itself is never stored
    for consent in ("health-data-consent-v1", ""):  # the ID is checked with or without consent
        duplicate = kiosk.post("/staff/residents/new", name="王", birth_date="1990-03-07",
                               village="东湾村", national_id="11010119900307803X", consent=consent)
        assert duplicate.status_code == 422


def test_issue_card_then_she_checks_in_and_copies_are_refused(kiosk, tech_card, core):
    kiosk.login(tech_card)
    resident_id = register(kiosk)
    blank = VirtualCard(bytes.fromhex("04A1B2C3"), "mifare")
    card_no = issue(kiosk, resident_id, blank)
    assert kiosk.events("card.issued")[-1].payload["card_no"] == card_no
    report = kiosk.tap(blank)
    assert isinstance(report.outcome, CheckedIn) and report.outcome.masked_name == "王*华"
    assert kiosk.client.get("/staff/").status_code == 302  # her tap ended the session
    copy = kiosk.tap(blank.copy_to(bytes.fromhex("04DEAD01")))
    assert isinstance(copy.outcome, CardRefused) and copy.outcome.reason == "copied"
    forged = blank.copy_to(blank.uid)
    forged.memory[16 * 4 + 10] ^= 0x01  # one byte of the record altered
    assert kiosk.tap(forged).outcome.reason in ("forged", "malformed")
    assert len(kiosk.events("card.refused")) == 2


def test_lost_card_is_revoked_and_reissued_with_a_new_number(kiosk, tech_card):
    kiosk.login(tech_card)
    resident_id = register(kiosk)
    old = VirtualCard(bytes.fromhex("04A1B2C3"), "cpu")
    old_no = issue(kiosk, resident_id, old)
    kiosk.login(tech_card)
    new_no = issue(kiosk, resident_id, VirtualCard(bytes.fromhex("04A1B2C4"), "mifare"))
    assert new_no != old_no
    refused = kiosk.tap(old)
    assert isinstance(refused.outcome, CardRefused) and refused.outcome.reason == "revoked"


def test_already_issued_card_is_not_overwritten(kiosk, tech_card):
    kiosk.login(tech_card)
    card = VirtualCard(bytes.fromhex("04A1B2C3"), "mifare")
    issue(kiosk, register(kiosk), card)
    kiosk.login(tech_card)
    other = register(kiosk, "李明")
    kiosk.post(f"/staff/residents/{other}/issue")
    assert kiosk.tap(card).outcome.kind == "issue_failed"


def test_enrol_log_visit_and_her_next_date(kiosk, tech_card, core, clock):
    kiosk.login(tech_card)
    resident_id = register(kiosk)
    card = VirtualCard(bytes.fromhex("04A1B2C3"), "cpu")
    issue(kiosk, resident_id, card)
    kiosk.login(tech_card)
    lmp = (dt.date(2026, 11, 28) - dt.timedelta(days=80)).isoformat()
    assert kiosk.post(f"/staff/residents/{resident_id}/enrol", plan="prenatal",
                      anchor_last_menstrual_period=lmp, action="enrol").status_code == 302
    first = core.db.execute("SELECT id FROM care_plan_items WHERE resident_id = ? ORDER BY due",
                            (resident_id,)).fetchone()[0]
    response = kiosk.post(f"/staff/items/{first}/visit", visit_date="2026-11-28",
                          outcome="completed", note="血压正常", next_appointment="2026-12-20")
    assert response.status_code == 302
    visits = kiosk.client.get(f"/staff/residents/{resident_id}").get_data(as_text=True)
    visits = visits[visits.index('id="visits"'):]
    assert "孕早期建册" in visits[:visits.index("</table>")]  # which service the visit was for
    report = kiosk.tap(card)
    assert report.outcome.follow_up.next_item.next_date == "2026-12-20"
    kiosk.login(tech_card)
    too_long = kiosk.post(f"/staff/items/{first}/visit", visit_date="2026-11-28",
                          outcome="completed", note="x" * 501)
    assert too_long.status_code == 422


def test_declining_is_recorded_without_any_flag(kiosk, tech_card, core):
    kiosk.login(tech_card)
    resident_id = register(kiosk)
    kiosk.post(f"/staff/residents/{resident_id}/enrol", plan="pre-pregnancy", action="decline")
    payload = kiosk.events("care.declined")[0].payload
    assert payload.pop("enrolment_id").startswith("enr-")  # so a restore can rebuild the row
    assert payload == {"resident_id": resident_id, "plan": "pre-pregnancy",
                       "by": kiosk.desk._session.technician_id}
    assert not core.db.execute("SELECT COUNT(*) FROM care_plan_items").fetchone()[0]


def test_working_lists_filter_paginate_and_export(kiosk, tech_card, core):
    kiosk.login(tech_card)
    for n in range(30):
        resident_id = register(kiosk, f"居民{n}", village="东湾村" if n % 2 else "西岭村")
        kiosk.post(f"/staff/residents/{resident_id}/enrol", plan="contraceptive-supply",
                   anchor_enrolment_date="2026-08-01", action="enrol")
    page = kiosk.client.get("/staff/lists/overdue?village=东湾村").get_data(as_text=True)
    assert "东湾村" in page and "西岭村" not in page.split('id="work-list"')[1]
    assert kiosk.client.get("/staff/lists/overdue?page=2").status_code == 200
    csv_text = kiosk.client.get("/staff/lists/overdue.csv").get_data(as_text=True)
    assert csv_text.startswith("\ufeff居民编号,姓名") and csv_text.count("\n") > 30
    assert kiosk.events("list.exported")


def test_record_views_are_audited_and_she_sees_them(kiosk, tech_card, core):
    kiosk.login(tech_card)
    resident_id = register(kiosk)
    card = VirtualCard(bytes.fromhex("04A1B2C3"), "mifare")
    issue(kiosk, resident_id, card)
    kiosk.login(tech_card)
    kiosk.client.get(f"/staff/residents/{resident_id}")
    assert "王秀华" in kiosk.client.get("/staff/residents?q=王").get_data(as_text=True)
    assert kiosk.events("residents.searched")[-1].payload["results"] == 1
    viewed = kiosk.events("record.viewed")[-1].payload
    assert viewed["resident_id"] == resident_id and viewed["technician_id"]
    kiosk.tap(card)
    # her link is on the kiosk's own screen only (the browser launched with the screen token)
    screen = kiosk.client.get(f"/?screen={kiosk.hub.pages.launch_token}").get_data(as_text=True)
    link = re.search(r'href="(/me/[^"]+)"', screen).group(1)
    mine = kiosk.client.get(link).get_data(as_text=True)
    assert "赵技术员" in mine and "隐私说明" in mine and "血压" not in mine
    assert kiosk.client.post(link + "/print", data={"link": link.rsplit("/", 1)[1]}).status_code == 302
    assert core.db.execute("SELECT reason FROM print_jobs ORDER BY id DESC").fetchone()[0] == "record"
    kiosk.tap(VirtualCard(bytes.fromhex("DEADBEEF"), "mifare"))  # the next person taps
    assert kiosk.client.get(link).status_code == 404


def test_idle_session_is_logged_out(core, tech_card):
    now = [0.0]
    kiosk = Kiosk(core, desk_clock=lambda: now[0])
    kiosk.login(tech_card)
    assert kiosk.client.get("/staff/").status_code == 200
    now[0] += 121
    kiosk.station._end_idle_session()
    assert kiosk.client.get("/staff/").status_code == 302
    assert kiosk.events("staff.logout")[-1].payload["reason"] == "idle"


def test_a_touch_keeps_the_session_alive(core, tech_card):
    now = [0.0]
    kiosk = Kiosk(core, desk_clock=lambda: now[0])
    kiosk.login(tech_card)
    now[0] += 100
    assert kiosk.client.get("/staff/ping").status_code == 204
    now[0] += 100  # 200 s since login, 100 s since the touch
    kiosk.station._end_idle_session()
    assert kiosk.client.get("/staff/").status_code == 200


def test_dashboard_chart_counts_the_last_30_days(core):
    from kiosk.chart import chart_svg
    from kiosk.store.queries import dashboard
    board = dashboard(core.db, __import__("datetime").date(2026, 11, 28))
    assert len(board.per_day) == 30 and board.per_day[-1][0] == "2026-11-28"
    svg = chart_svg([(day, n % 4) for n, (day, _) in enumerate(board.per_day)])
    assert svg.count("<rect") == 30 and "<title>2026-11-28: 1</title>" in svg
    assert "<script" not in svg


def test_sync_now_leaves_the_trigger_for_the_sync_process(kiosk, tech_card, core):
    kiosk.login(tech_card)
    assert kiosk.post("/staff/sync-now").status_code == 302
    assert (core.config.station.data_dir / "sync-now").exists() and kiosk.events("sync.requested")
