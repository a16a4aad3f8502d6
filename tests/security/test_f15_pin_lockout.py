"""Finding 15: PIN lockouts escalate (5, 10, 20 minutes), the technician is blocked after the
third until another technician or the console unblocks them, and new PINs have 6 digits
(older 4-digit PINs keep working until changed; doctor warns about them)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kiosk.domain.validation import Invalid
from kiosk.sim.wallet import issue_virtual_card
from kiosk.store.sqlite import iter_events
from tests.web.staff_kiosk import PIN


def _five_wrong(core, tech_id):
    return [core.staff.check_pin(tech_id, "000000") for _ in range(5)][-1]


def test_f15_lockouts_double_then_block_until_unblocked(core, clock):
    tech = core.staff.add("赵技术员", PIN)
    for minutes in (5, 10, 20):
        result = _five_wrong(core, tech.id)
        assert not result.blocked and result.locked_until
        assert core.staff.check_pin(tech.id, PIN).locked_until  # the right PIN, still locked
        clock.advance(minutes=minutes - 1)
        assert not core.staff.check_pin(tech.id, PIN).ok  # not a minute early
        clock.advance(minutes=1, seconds=1)
    result = _five_wrong(core, tech.id)  # 20 guesses in all, then no more
    assert result.blocked and not result.locked_until
    clock.advance(days=30)
    refused = core.staff.check_pin(tech.id, PIN)
    assert refused.blocked and not refused.ok
    other = core.staff.add("钱技术员", PIN)
    with pytest.raises(PermissionError):
        core.staff.unblock(tech.id, by=tech.id)
    assert core.staff.unblock(tech.id, by=other.id)
    assert core.staff.check_pin(tech.id, PIN).ok
    events = {e.type: e.payload for e in iter_events(core.db)}
    assert events["technician.unblocked"] == {"technician_id": tech.id, "by": other.id}
    blocking = [e.payload for e in iter_events(core.db) if e.type == "staff.pin_failed"][-1]
    assert blocking["blocked"] is True and blocking["lockouts"] == 3


def test_f15_a_good_pin_resets_the_escalation(core, clock):
    tech = core.staff.add("赵技术员", PIN)
    _five_wrong(core, tech.id)
    clock.advance(minutes=5, seconds=1)
    assert core.staff.check_pin(tech.id, PIN).ok
    _five_wrong(core, tech.id)
    assert core.staff.check_pin(tech.id, PIN).locked_until  # 5 minutes again, not 10
    clock.advance(minutes=5, seconds=1)
    assert core.staff.check_pin(tech.id, PIN).ok


def test_f15_blocked_login_page_and_unblock_from_the_dashboard(kiosk, core, clock):  # noqa: F811
    tech = core.staff.add("孙技术员", PIN)
    card = issue_virtual_card(core, "technician", tech.id, bytes.fromhex("08AABBCE"), "cpu")
    for minutes in (5, 10, 20):
        for _ in range(5):
            response = kiosk.login(card, "000000")
        assert f"{minutes} 分钟" in response.get_data(as_text=True)
        clock.advance(minutes=minutes, seconds=1)
    for _ in range(5):
        response = kiosk.login(card, "000000")
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and "已被冻结" in page and "is blocked" in page
    assert kiosk.login(card, PIN).status_code == 403
    helper = core.staff.add("钱技术员", PIN)
    helper_card = issue_virtual_card(core, "technician", helper.id, bytes.fromhex("08AABBCF"),
                                     "cpu")
    assert kiosk.login(helper_card).status_code == 302
    dashboard = kiosk.client.get("/staff/").get_data(as_text=True)
    assert "孙技术员" in dashboard and f'data-unblock="{tech.id}"' in dashboard
    assert kiosk.client.post(f"/staff/technicians/{tech.id}/unblock").status_code == 400  # CSRF
    assert kiosk.post(f"/staff/technicians/{tech.id}/unblock").status_code == 302
    assert kiosk.events("technician.unblocked")[0].payload["by"] == helper.id
    assert kiosk.login(card, PIN).status_code == 302


def test_f15_new_pins_have_six_digits_and_old_four_digit_ones_still_work(core, station_dir):
    from kiosk.cli.main import main
    with pytest.raises(Invalid):
        core.staff.add("赵技术员", "2468")
    tech = core.staff.add("赵技术员", PIN)
    from kiosk.domain.staff import hash_pin
    salt = bytes(16)
    core.db.execute("UPDATE technicians SET pin_hash = ?, pin_salt = ?, pin_digits = NULL "
                    "WHERE id = ?", (hash_pin("2468", salt), salt.hex(), tech.id))
    core.db.conn.commit()
    assert core.staff.check_pin(tech.id, "2468").ok  # set before 6-digit PINs: still works
    config = ["--config", str(station_dir / "kiosk.toml")]
    doctor = CliRunner().invoke(main, [*config, "doctor"]).output
    assert "WARN 技术员 PIN / technician PINs: 1 set before 6-digit PINs" in doctor
    assert "kiosk technician set-pin" in doctor
    bad = CliRunner().invoke(main, [*config, "technician", "set-pin", tech.id],
                             input="1357\n1357\n")
    assert bad.exit_code == 2 and "6 到 8 位数字" in bad.output
    done = CliRunner().invoke(main, [*config, "technician", "set-pin", tech.id],
                              input="135790\n135790\n")
    assert done.exit_code == 0, done.output
    assert core.staff.check_pin(tech.id, "135790").ok and not core.staff.check_pin(tech.id,
                                                                                  "2468").ok
    assert "technician PINs" not in CliRunner().invoke(main, [*config, "doctor"]).output
    assert any(e.type == "technician.pin_changed" for e in iter_events(core.db))


def test_f15_console_unblock(core, station_dir):
    from kiosk.cli.main import main
    tech = core.staff.add("赵技术员", PIN)
    for _ in range(4):
        _five_wrong(core, tech.id)
        core.db.execute("UPDATE technicians SET locked_until = NULL WHERE id = ?", (tech.id,))
    core.db.conn.commit()
    config = ["--config", str(station_dir / "kiosk.toml")]
    listed = CliRunner().invoke(main, [*config, "technician", "list"]).output
    assert "冻结自 / blocked since" in listed
    result = CliRunner().invoke(main, [*config, "technician", "unblock", tech.id])
    assert result.exit_code == 0 and "技术员已解除冻结" in result.output
    assert core.staff.check_pin(tech.id, PIN).ok
    again = CliRunner().invoke(main, [*config, "technician", "unblock", tech.id])
    assert again.exit_code == 1
