"""A station rebuilt from the county after its SD card died (issue 14).

A station with a random history of 5,000 events, the first half acknowledged by a real county
(`kiosk-county serve` on loopback, SQLite and PostgreSQL), loses its card. A new card with a
new key is enrolled as the successor (`kiosk-county replace`) and restored from the county
(`kiosk restore --from-county`): every table the events define equals the old station's at
the acknowledged head (minus the station-only fields), the old cards check in, revoked ones
stay refused, the new chain is accepted and verifies at the county, doctor and verify-log are
OK, and a restore of the same station without a succession is refused.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from kiosk.adapters.clock import FakeClock
from kiosk.adapters.county import HttpCountyLink
from kiosk.bootstrap import build_core
from kiosk.cli.main import main
from kiosk.config.loader import load_config
from kiosk.domain.card_records import parse_record
from kiosk.domain.chain import verify_chain
from kiosk.domain.events import Event
from kiosk.domain.outcomes import CardRefused, CheckedIn
from kiosk.keys import generate_key_file, public_key_from_hex
from kiosk.protocol.succession import verify_succession
from kiosk.protocol.sync import take_batch
from kiosk.sim.wallet import read_card
from kiosk.store.database import connect_copy, connect_readonly
from kiosk.store.sync_log import events_after
from kiosk.testing.history import History
from kiosk.testing.station import write_station_config
from tests.county.test_county import county_cli, free_port, start_county

STATION = "st-restore"
EVENTS, ACKED = 5000, 2500
# Every table the events define, with the columns that never leave the station.
TABLES = {
    "residents": ("phone", "national_id_hash"),
    "technicians": ("name", "pin_hash", "pin_salt", "pin_digits"),
    "issued_cards": ("uid_hash",),
    "enrolments": ("anchors",),
    "care_plan_items": (),
    "visits": ("note",),
    "record_views": (),
    "checkins": (),
    "queue_entries": (),
    "events": (),
}


def rows(path, table: str, skip: tuple[str, ...]) -> list[tuple]:
    conn = connect_readonly(path).conn
    try:
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] not in skip]
        return conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY 1, 2").fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def old_station(tmp_path_factory):
    """The old station's history: a copy of its database at the acknowledged half, its full
    database (5,000 events), its key, and its virtual cards (active and revoked)."""
    base = tmp_path_factory.mktemp("old")
    config = load_config(write_station_config(base / "station", None, station_id=STATION))
    generate_key_file(config.station.key_file)
    clock = FakeClock(dt.datetime(2026, 6, 1, 1, 0, tzinfo=dt.UTC))  # ends before today
    core = build_core(config, clock=clock)
    history = History(core, clock)
    history.grow(ACKED)
    history.acked = history.head()  # an action may write a few events: it ends a bit past
    acked = base / "acked.db"
    target = connect_copy(acked)
    core.db.conn.backup(target)
    target.close()
    history.grow(EVENTS)
    core.close()
    return config, acked, history


def push_until(config, url: str, upto: int) -> None:
    """What the old station's sync got through before its card died: events 1..upto."""
    db, link, after = connect_readonly(config.station.database), HttpCountyLink(url), 0
    try:
        while after < upto:
            batch = [e for e in take_batch(events_after(db, after, 500)) if e["seq"] <= upto]
            ack = link.push(STATION, [Event(**e) for e in batch])
            after = ack.seq
    finally:
        db.conn.close()


@pytest.fixture
def county(tmp_path, county_database, old_station):
    config, _, _ = old_station
    data_dir, port = tmp_path / "county", free_port()
    public = county_cli(data_dir, "init", database=county_database).split(
        "public key (hex): ")[1].strip()
    from kiosk.keys import load_key_file
    old_key = load_key_file(config.station.key_file)
    county_cli(data_dir, "enroll", "--station", STATION, "--pubkey",
               old_key.public_bytes().hex(), database=county_database)
    proc = start_county(data_dir, port, county_database)
    url = f"http://127.0.0.1:{port}"
    push_until(config, url, old_station[2].acked)
    (tmp_path / "county.pub").write_text(public + "\n")
    yield url, public, data_dir, county_database, old_key
    proc.terminate()
    proc.wait(10)


def new_card(tmp_path, name: str, url: str, public: str):
    path = write_station_config(tmp_path / name, None, station_id=STATION,
                                extra=f'\n[county]\nurl = "{url}"\npublic_key = "{public}"\n')
    key = generate_key_file(load_config(path).station.key_file)
    return path, key


def kiosk(path, *args: str):
    return CliRunner().invoke(main, ["--config", str(path), *args])


def test_station_rebuilt_from_the_county(tmp_path, county, old_station):
    url, public, data_dir, database, old_key = county
    old_config, acked_db, history = old_station
    path, key = new_card(tmp_path, "new", url, public)
    refused = kiosk(path, "restore", "--from-county", url, "--county-pubkey",
                    str(tmp_path / "county.pub"))
    assert refused.exit_code != 0 and "no_succession" in refused.output  # not enrolled yet

    county_cli(data_dir, "replace", "--station", STATION, "--pubkey", key.public_bytes().hex(),
               database=database)
    result = kiosk(path, "restore", "--from-county", url, "--county-pubkey",
                   str(tmp_path / "county.pub"))
    assert result.exit_code == 0, result.output
    assert f"{history.acked} events" in result.output and "set-pin" in result.output
    config = load_config(path)

    restored = rows(config.station.database, "events", ())
    assert len(restored) == history.acked + 1 and restored[-1][4] == "station.restored"
    for table, station_only in TABLES.items():
        want = rows(acked_db, table, station_only)
        got = rows(config.station.database, table, station_only)
        if table == "events":
            got = got[:-1]
        assert want and got == want, f"{table} differs after the restore"
    for table in ("print_jobs", "event_secrets"):
        assert rows(config.station.database, table, ()) == []

    clock = FakeClock(dt.datetime(2026, 10, 1, 1, 0, tzinfo=dt.UTC))
    core = build_core(config, clock=clock)
    try:
        seen = {"active": 0, "revoked": 0}
        for card in [*history.cards.values(), *history.revoked]:
            read = read_card(card, core)
            row = core.db.execute("SELECT status FROM issued_cards WHERE card_no = ?",
                                  (parse_record(read.record).card_no,)).fetchone()
            if row is None or seen[row[0]] >= 25:
                continue  # issued after the acknowledged head: lost with the old card
            seen[row[0]] += 1
            outcome = core.checkins.handle_tap(read)  # issued by the old key
            if row[0] == "active":
                assert isinstance(outcome, CheckedIn), outcome
            else:
                assert isinstance(outcome, CardRefused) and outcome.reason == "revoked"
        assert seen == {"active": 25, "revoked": 25}
        technician = history.technicians[0]
        assert core.db.execute("SELECT pin_hash FROM technicians WHERE id = ?",
                               (technician,)).fetchone()[0] == ""  # PINs never left the station
        core.staff.set_pin(technician, "135792")
        assert core.staff.check_pin(technician, "135792").ok
    finally:
        core.close()

    synced = kiosk(path, "sync", "--once")
    assert synced.exit_code == 0, synced.output
    from kiosk.county.bootstrap import open_store_at as open_store
    store = open_store(database or str(data_dir / "county.db"))
    try:
        stored = store.events(STATION, 0, 100_000)
        head = rows(config.station.database, "events", ())[-1]
        assert stored[-1].hash == head[10] and len(stored) > history.acked + 20
        county_key = public_key_from_hex(public)

        def trusted(succession) -> bool:
            return verify_succession(succession, county_key)["public_key"] == key.public_bytes().hex()
        report = verify_chain(stored, old_key.public, STATION, trusted=trusted)
        assert report.ok, report.problems[:3]
        assert report.key is not None and report.checked == len(stored)
    finally:
        store.close()
    verified = kiosk(path, "verify-log")
    assert verified.exit_code == 0, verified.output
    doctor = kiosk(path, "doctor")
    assert doctor.exit_code == 0 and "FAIL" not in doctor.output, doctor.output

    again, other = new_card(tmp_path, "again", url, public)  # a second restore, no succession
    second = kiosk(again, "restore", "--from-county", url, "--county-pubkey",
                   str(tmp_path / "county.pub"))
    assert second.exit_code != 0 and "no_succession" in second.output
    shutil.rmtree(tmp_path / "again")


def test_restore_refuses_while_the_station_runs(tmp_path):
    """The station holds its database's writer: the restore refuses before it reads anything
    (no county needed) and names what to do, and the database stays as it was."""
    county_public = generate_key_file(tmp_path / "county.key").public_bytes().hex()
    path, _ = new_card(tmp_path, "running", "http://127.0.0.1:9", county_public)
    database = load_config(path).station.database
    station = subprocess.Popen(
        [sys.executable, "-c", "import sys; from kiosk.store.writer import take_writer_lock; "
         "lock = take_writer_lock(sys.argv[1]); print('held', flush=True); sys.stdin.read()",
         str(database)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert station.stdout is not None and station.stdout.readline().strip() == "held"
        refused = kiosk(path, "restore", "--from-county", "http://127.0.0.1:9")
        assert refused.exit_code != 0
        assert "systemctl stop kiosk" in refused.output, refused.output
        assert not database.exists() and not database.with_name(database.name + ".restoring").exists()
    finally:
        station.communicate("", timeout=10)
