"""Finding 14: a truncated log passes.

The attack: with the append-only triggers dropped, delete events the county already
acknowledged (or all of them). The chain that is left verifies on its own, so `kiosk
verify-log` said 0 and `kiosk sync` believed it was in sync. Now verify-log checks the log
against the newest county-signed acknowledgement kept in sync_acks, and sync refuses to run.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kiosk.cli.main import main
from tests.county.test_county import county_for, start_county


@pytest.fixture
def synced(core, station_dir, tmp_path):
    """A station whose 21 events the (real, loopback) county acknowledged."""
    data_dir = tmp_path / "county"
    path, port = county_for(core, station_dir, data_dir)
    for n in range(20):
        with core.uow() as uow:
            uow.record("test.thing", {"n": n})
            uow.commit()
    proc = start_county(data_dir, port)
    try:
        result = run(path, "sync", "--once")
        assert result.exit_code == 0 and "In sync: 21" in result.output, result.output
        assert run(path, "verify-log").exit_code == 0
        core.db.execute("DROP TRIGGER events_no_update")  # the tamperer is not polite
        core.db.execute("DROP TRIGGER events_no_delete")
        core.db.conn.commit()
        yield core, path
    finally:
        proc.terminate()
        proc.wait(10)


def run(path, *args):
    return CliRunner().invoke(main, ["--config", str(path), *args])


def delete_events(core, after: int) -> None:
    core.db.execute("DELETE FROM events WHERE seq > ?", (after,))
    core.db.conn.commit()


def assert_refused(path):
    verified = run(path, "verify-log")
    assert verified.exit_code == 1, verified.output
    assert "the county acknowledged events up to 21" in verified.output
    synced = run(path, "sync", "--once")
    assert synced.exit_code == 1, synced.output
    assert "事件日志比县里已确认的短" in synced.output
    assert "The event log is shorter than what the county acknowledged" in synced.output


def test_f14_acknowledged_events_deleted_fail_verify_log_and_stop_sync(synced):
    core, path = synced
    delete_events(core, 15)
    assert_refused(path)
    assert core.db.execute("SELECT MAX(seq) FROM events").fetchone()[0] == 15  # sync wrote nothing


def test_f14_all_events_deleted_fail_verify_log_and_stop_sync(synced):
    core, path = synced
    delete_events(core, 0)
    assert_refused(path)


def test_f14_rewritten_acknowledged_event_fails_verify_log(synced):
    """The newest acknowledged event replaced by another validly signed one (a fork)."""
    core, path = synced
    delete_events(core, 20)
    with core.uow() as uow:
        uow.record("test.thing", {"n": "instead"})
        uow.commit()
    result = run(path, "verify-log")
    assert result.exit_code == 1 and "different event" in result.output
    assert run(path, "sync", "--once").exit_code == 1


def test_f14_acknowledgements_deleted_too_stop_sync(synced):
    """The tamperer also empties sync_acks: the county's answer shows the log ends early."""
    core, path = synced
    delete_events(core, 15)
    core.db.execute("DELETE FROM sync_acks")
    core.db.conn.commit()
    result = run(path, "sync", "--once")
    assert result.exit_code == 1
    assert "The event log is shorter than what the county acknowledged" in result.output


def test_f14_forged_acknowledgement_is_named(synced):
    core, path = synced
    core.db.execute("UPDATE sync_acks SET signature = ? ", ("00" * 64,))
    core.db.conn.commit()
    result = run(path, "verify-log")
    assert result.exit_code == 1 and "not signed by the county key" in result.output
