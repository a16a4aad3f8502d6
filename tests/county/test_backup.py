"""`kiosk backup` for a station offline for weeks, and `kiosk restore --from-backup` after its
card died (issue 14): the backup is sealed to the county's key (no plain copy of her data on
the USB stick), the county opens it and seals it again for the successor's key, and the new
card rebuilds the station with every event, also those the county never received, and their
station-only values; its first sync hands the county the rest of the old chain and the new one.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.adapters.clock import FakeClock
from kiosk.bootstrap import build_core
from kiosk.cli.main import main
from kiosk.config.loader import load_config
from kiosk.errors import ProtocolError
from kiosk.keys import generate_key_file, load_key_file
from kiosk.protocol.sealed import BACKUP_LABEL, open_sealed
from kiosk.store.database import connect_readonly
from kiosk.testing.history import History
from kiosk.testing.station import write_station_config
from tests.county.test_county import county_cli, free_port, start_county
from tests.county.test_restore import TABLES, push_until, rows

STATION = "st-restore"


@pytest.fixture
def offline_station(tmp_path, county_database):
    """A county on loopback and a station that reached it only for its first 120 events."""
    data_dir, port = tmp_path / "county", free_port()
    public = county_cli(data_dir, "init", database=county_database).split(
        "public key (hex): ")[1].strip()
    url = f"http://127.0.0.1:{port}"
    extra = f'\n[county]\nurl = "{url}"\npublic_key = "{public}"\n'
    path = write_station_config(tmp_path / "old", None, station_id=STATION, extra=extra)
    key = generate_key_file(load_config(path).station.key_file)
    county_cli(data_dir, "enroll", "--station", STATION, "--pubkey", key.public_bytes().hex(),
               database=county_database)
    proc = start_county(data_dir, port, county_database)
    clock = FakeClock(dt.datetime(2026, 9, 1, 1, 0, tzinfo=dt.UTC))
    core = build_core(load_config(path), clock=clock)
    history = History(core, clock, seed=7)
    history.grow(400)
    core.close()
    push_until(load_config(path), url, 120)
    yield path, url, public, data_dir, county_database, extra
    proc.terminate()
    proc.wait(10)


def started_once(path) -> None:
    """The card's station started (its first event written) and killed before any checkpoint."""
    script = ("import sys; from kiosk.bootstrap import build_core; "
              "from kiosk.config.loader import load_config; "
              "build_core(load_config(sys.argv[1])); print('up', flush=True); sys.stdin.read()")
    proc = subprocess.Popen([sys.executable, "-c", script, str(path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "up"
    finally:
        proc.kill()
        proc.wait(10)
    database = load_config(path).station.database
    assert Path(f"{database}-wal").stat().st_size > 0


def kiosk(path, *args: str):
    return CliRunner().invoke(main, ["--config", str(path), *args])


def test_backup_sealed_to_the_county_restores_a_new_card(tmp_path, offline_station):
    path, url, public, data_dir, database, extra = offline_station
    result = kiosk(path, "backup", "--to", str(tmp_path / "usb"))
    assert result.exit_code == 0, result.output
    (sealed,) = (tmp_path / "usb").iterdir()
    blob = sealed.read_bytes()
    name = connect_readonly(load_config(path).station.database).execute(
        "SELECT name FROM residents LIMIT 1").fetchone()[0]
    assert b"SQLite format" not in blob and name.encode() not in blob  # nothing in the clear
    assert sealed.stat().st_mode & 0o077 == 0
    with pytest.raises(ProtocolError):  # only the county opens it
        open_sealed(blob, load_key_file(load_config(path).station.key_file).x25519(),
                    BACKUP_LABEL)
    original = load_config(path).station.database

    new = write_station_config(tmp_path / "new", None, station_id=STATION, extra=extra)
    new_key = generate_key_file(load_config(new).station.key_file)
    county_cli(data_dir, "replace", "--station", STATION, "--pubkey",
               new_key.public_bytes().hex(), database=database)
    county_cli(data_dir, "open-backup", str(sealed), "--out", str(tmp_path / "for-new.sealed"),
               database=database)
    started_once(new)  # the new card booted once and lost power: its first event is in the WAL
    restored = kiosk(new, "restore", "--from-backup", str(tmp_path / "for-new.sealed"))
    assert restored.exit_code == 0, restored.output
    config = load_config(new)
    (aside,) = config.station.database.parent.glob("kiosk.db.fresh-*[0-9]")  # moved with its WAL
    assert [r[0] for r in connect_readonly(aside).execute("SELECT type FROM events")] == [
        "station.initialized"]
    for table in TABLES:  # everything, also what the county never had, and station-only values
        skip = ("pin_hash", "pin_salt", "pin_digits") if table == "technicians" else ()
        got = rows(config.station.database, table, skip)
        assert got[:-1 if table == "events" else None] == rows(original, table, skip), table
    assert rows(config.station.database, "event_secrets", ()) == rows(original, "event_secrets", ())
    assert kiosk(new, "verify-log").exit_code == 0

    synced = kiosk(new, "sync", "--once")
    assert synced.exit_code == 0, synced.output
    from kiosk.county.bootstrap import open_store_at as open_store
    store = open_store(database or str(data_dir / "county.db"))
    try:
        assert store.head_of(STATION) == len(rows(config.station.database, "events", ()))
    finally:
        store.close()
    again = kiosk(new, "restore", "--from-backup", str(tmp_path / "for-new.sealed"))
    assert again.exit_code != 0  # the database holds the station's events: never overwritten


def test_backup_beside_the_running_station(tmp_path):
    """`kiosk backup` only reads (a read-only connection and SQLite's backup API): it runs while
    the station holds its database's writer, and the county opens the copy in memory."""
    from kiosk.county.store.station_backup import backup_station_id
    county_key = generate_key_file(tmp_path / "county.key")
    extra = f'\n[county]\npublic_key = "{county_key.public_bytes().hex()}"\n'
    path = write_station_config(tmp_path / "station", None, station_id=STATION, extra=extra)
    generate_key_file(load_config(path).station.key_file)
    clock = FakeClock(dt.datetime(2026, 9, 1, 1, 0, tzinfo=dt.UTC))
    core = build_core(load_config(path), clock=clock)
    try:
        History(core, clock, seed=3).grow(60)
        result = kiosk(path, "backup", "--to", str(tmp_path / "usb"))
        assert result.exit_code == 0, result.output
        head = core.db.execute("SELECT MAX(seq) FROM events").fetchone()[0]
    finally:
        core.close()
    (sealed,) = (tmp_path / "usb").iterdir()
    database = open_sealed(sealed.read_bytes(), county_key.x25519(), BACKUP_LABEL)
    assert backup_station_id(database) == STATION
    from kiosk.store.database import connect_copy
    conn = connect_copy(":memory:")
    try:
        conn.deserialize(database)
        assert conn.execute("SELECT MAX(seq) FROM events").fetchone()[0] == head
    finally:
        conn.close()
