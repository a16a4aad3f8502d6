"""The one writer of a database and its lock (kiosk/store/writer.py), the read-only
connections beside it, and the SQLite version check (docs/architecture.md, "One writer per
database")."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading

import pytest
from click.testing import CliRunner

from kiosk.errors import StoreError
from kiosk.store.database import connect_readonly, sqlite_status, wal_reset_fixed
from kiosk.store.writer import StationRunning, Writer, station_running, take_writer_lock


@pytest.fixture
def holder(tmp_path):
    """Another process holding the database's writer, as a running station does."""
    database = tmp_path / "kiosk.db"
    script = textwrap.dedent(f"""
        import sys
        from kiosk.store.writer import Writer
        writer = Writer.open({str(database)!r})
        print("held", flush=True)
        sys.stdin.read()
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    yield database
    proc.stdin.close()
    proc.wait(10)


def test_a_second_process_gets_station_running(holder):
    assert station_running(holder)
    with pytest.raises(StationRunning) as refused:
        Writer.open(holder)
    assert "站点正在运行" in str(refused.value) and "The station is running" in str(refused.value)
    with pytest.raises(StationRunning):
        take_writer_lock(holder, wait=0.3)
    reads = connect_readonly(holder)  # reading while the station runs is fine
    assert reads.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0
    reads.conn.close()


def test_kiosk_migrate_refuses_while_the_station_runs(holder, tmp_path):
    from kiosk.cli.main import main
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[station]\nid = "st-1"\ndata_dir = "{tmp_path}"\n'
                      f'database = "{holder}"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "migrate"])
    assert result.exit_code == 1 and "站点正在运行" in result.output, result.output


def test_one_process_shares_its_writer_until_the_last_close(tmp_path):
    database = tmp_path / "kiosk.db"
    first, second = Writer.open(database), Writer.open(database)
    assert first is second and not station_running(database)
    first.close()
    second.run(lambda db: db.execute("INSERT INTO meta (key, value) VALUES ('a', '1')"))
    second.close()
    lock = take_writer_lock(database)  # the last close let go of the lock
    lock.release()


def test_units_of_work_run_one_at_a_time(tmp_path):
    writer = Writer.open(tmp_path / "kiosk.db")
    inside, overlaps = [], []

    def unit(db) -> None:
        inside.append(1)
        overlaps.append(len(inside))
        db.execute("INSERT INTO meta (key, value) VALUES (?, 'x')", (f"k{len(overlaps)}",))
        inside.pop()

    threads = [threading.Thread(target=lambda: [writer.run(unit) for _ in range(50)])
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(overlaps) == {1} and len(overlaps) == 200
    writer.close()


def test_a_failed_unit_rolls_back(tmp_path):
    writer = Writer.open(tmp_path / "kiosk.db")

    def half(db) -> None:
        db.execute("INSERT INTO meta (key, value) VALUES ('half', 'x')")
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        writer.run(half)
    assert writer.db.execute("SELECT COUNT(*) FROM meta WHERE key = 'half'").fetchone()[0] == 0
    writer.close()


def test_read_only_connections_cannot_write_or_checkpoint(tmp_path):
    database = tmp_path / "kiosk.db"
    writer = Writer.open(database)
    reads = connect_readonly(database)
    with pytest.raises(sqlite3.OperationalError):
        reads.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
    with pytest.raises(sqlite3.OperationalError):
        reads.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert reads.execute("PRAGMA query_only").fetchone()[0] == 1
    reads.conn.close()
    writer.close()


def test_read_only_needs_an_existing_database(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        connect_readonly(tmp_path / "none.db")


@pytest.mark.parametrize("version,fixed", [
    ("3.40.1", False), ("3.44.5", False), ("3.44.6", True), ("3.50.6", False), ("3.50.7", True),
    ("3.51.2", False), ("3.51.3", True), ("3.52.0", True), ("3.45.1", False)])
def test_which_versions_have_the_wal_reset_fix(version, fixed):
    assert wal_reset_fixed(version) is fixed


def test_the_status_names_the_version_and_the_reason():
    status = sqlite_status()
    assert sqlite3.sqlite_version in status and "one writ" in status


def test_a_lock_taken_first_is_shared_with_the_writer(tmp_path):
    """What `kiosk restore` does: take the lock, then build the database on a Writer."""
    database = tmp_path / "kiosk.db"
    lock = take_writer_lock(database)
    assert not station_running(database)
    writer = Writer.open(database)
    writer.close()
    assert not station_running(database)  # still ours
    lock.release()
    lock.release()  # twice is harmless
    again = take_writer_lock(database)
    again.release()


def test_a_copy_in_memory_stays_in_memory(tmp_path, monkeypatch):
    from kiosk.store.database import connect_copy
    monkeypatch.chdir(tmp_path)
    copy = connect_copy(":memory:")
    copy.execute("CREATE TABLE t (x)")
    copy.close()
    assert list(tmp_path.iterdir()) == []
