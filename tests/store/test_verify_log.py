"""`kiosk verify-log` on a real database: any flipped byte, deletion or reordering is named."""

import pytest
from click.testing import CliRunner

from kiosk.cli.main import main
from kiosk.store.sqlite import EVENT_COLUMNS
from tests.store.test_store import add_resident


@pytest.fixture
def logged(core, station_dir):
    cards = [add_resident(core, "r1", "04a1b2c3"),
             add_resident(core, "r2", "04112233445566", "李明", "cpu")]
    for card in cards + [bytes.fromhex("deadbeef")]:
        core.checkins.handle_tap(card)
    count = core.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    core.db.execute("DROP TRIGGER events_no_update")  # the tamperer is not polite
    core.db.execute("DROP TRIGGER events_no_delete")
    core.db.conn.commit()
    return core, station_dir / "kiosk.toml", count


def verify(config_path):
    return CliRunner().invoke(main, ["--config", str(config_path), "verify-log"])


def flip(value: str, at: int) -> str:
    return value[:at] + chr(ord(value[at]) ^ 0x01) + value[at + 1:]


@pytest.mark.parametrize("column", [c for c in EVENT_COLUMNS if c not in ("seq", "v", "mono_ns")])
def test_one_flipped_byte_in_any_text_column_is_named(logged, column):
    core, path, count = logged
    assert verify(path).exit_code == 0
    value = core.db.execute(f"SELECT {column} FROM events WHERE seq = 4").fetchone()[0]
    core.db.execute(f"UPDATE events SET {column} = ? WHERE seq = 4", (flip(value, len(value) // 2),))
    core.db.conn.commit()
    result = verify(path)
    assert result.exit_code == 1
    assert "FAIL event seq 4 " in result.output or (column == "hash" and "seq 5" in result.output)


@pytest.mark.parametrize("column", ["v", "mono_ns"])
def test_changed_number_is_named(logged, column):
    core, path, _ = logged
    core.db.execute(f"UPDATE events SET {column} = {column} + 1 WHERE seq = 3")
    core.db.conn.commit()
    result = verify(path)
    assert result.exit_code == 1 and "FAIL event seq 3 " in result.output


def test_deleted_event_is_named(logged):
    core, path, _ = logged
    core.db.execute("DELETE FROM events WHERE seq = 5")
    core.db.conn.commit()
    result = verify(path)
    assert result.exit_code == 1 and "event(s) 5 missing" in result.output


def test_deleted_last_event_is_invisible_to_the_chain_alone(logged):
    """A truncated tail verifies locally; the county's acknowledgements catch it (issue 5)."""
    core, path, count = logged
    core.db.execute("DELETE FROM events WHERE seq = ?", (count,))
    core.db.conn.commit()
    assert verify(path).exit_code == 0


def test_reordered_pair_is_named(logged):
    core, path, _ = logged
    cols = [c for c in EVENT_COLUMNS if c != "seq"]
    rows = {s: core.db.execute(f"SELECT {', '.join(cols)} FROM events WHERE seq = ?", (s,)).fetchone()
            for s in (3, 4)}
    core.db.execute("UPDATE events SET id = id || '-tmp' WHERE seq IN (3, 4)")
    for seq, other in ((3, 4), (4, 3)):
        assignments = ", ".join(f"{c} = ?" for c in cols)
        core.db.execute(f"UPDATE events SET {assignments} WHERE seq = ?", (*rows[other], seq))
    core.db.conn.commit()
    result = verify(path)
    assert result.exit_code == 1
    assert "FAIL event seq 3 " in result.output and "FAIL event seq 4 " in result.output


def test_flipped_byte_in_the_file_itself(logged):
    core, path, _ = logged
    signature = core.db.execute("SELECT signature FROM events WHERE seq = 3").fetchone()[0]
    core.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    core.close()
    db_file = path.parent / "kiosk.db"
    data = bytearray(db_file.read_bytes())
    offset = data.find(signature.encode())
    assert offset > 0
    data[offset + 10] ^= 0x01
    db_file.write_bytes(bytes(data))
    result = verify(path)
    assert result.exit_code == 1 and "FAIL event seq 3 " in result.output
