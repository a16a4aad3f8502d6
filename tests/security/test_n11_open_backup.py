"""Finding N11 (issue 23): anyone can seal a file to the county's public key, so what
`kiosk-county open-backup` (and `kiosk restore --from-backup` on the new card) opens is a
stranger's file until its chain is checked. A 200 KB file inflated to hundreds of MB, and the
SQL of a crafted database's views ran. Now inflating stops at a stated bound, and the
database must have exactly a station's schema (of this release or an older one) before
anything is asked of it."""

from __future__ import annotations

import tracemalloc
import zlib

import pytest

from kiosk.protocol.sealed import BACKUP_LABEL, RESTORE_LABEL
from tests.security.backups import altered, kiosk, seal_v1, station, station_database, waiting_county, zeros_compressed

STATION = "st-n11"
BACKUP_V1 = f"{BACKUP_LABEL.rstrip(':')}:{STATION}:20261201T080000Z".encode()


@pytest.fixture
def waiting(tmp_path):
    from kiosk.keys import generate_key_file
    return waiting_county(tmp_path, STATION, generate_key_file(tmp_path / "old.key"),
                          generate_key_file(tmp_path / "new.key"))


def test_n11_a_compression_bomb_stops_at_the_bound(tmp_path, waiting):
    bomb = tmp_path / "bomb.sealed"
    bomb.write_bytes(seal_v1(zeros_compressed(200), waiting.public_hex, BACKUP_V1))
    assert bomb.stat().st_size < 300_000  # 200 MiB of zeros, sealed
    tracemalloc.start()
    try:
        result = waiting.open_backup(bomb, tmp_path / "out.sealed")
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.exit_code != 0
    assert "MiB" in result.output, result.output  # the message states the bound
    assert peak < 80 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    assert not (tmp_path / "out.sealed").exists()


def test_n11_the_bound_holds_for_the_new_format_too(tmp_path):
    from kiosk.errors import ProtocolError
    from kiosk.keys import generate_key_file
    from kiosk.protocol.sealed import open_sealed, seal_to_ed25519
    key = generate_key_file(tmp_path / "k.key")
    sealed = seal_to_ed25519(bytes(8 << 20), key.public_bytes().hex(), BACKUP_LABEL)
    with pytest.raises(ProtocolError, match="MiB"):
        open_sealed(sealed, key.x25519(), BACKUP_LABEL, max_bytes=1 << 20)
    assert open_sealed(sealed, key.x25519(), BACKUP_LABEL) == bytes(8 << 20)


CRAFTED = {
    "events is a view": ("DROP TABLE events",
                         f"CREATE VIEW events AS SELECT '{STATION}' AS station_id, 1 AS seq"),
    "a trigger of theirs": ("CREATE TRIGGER spy AFTER INSERT ON meta BEGIN SELECT 1; END",),
    "an extra view": ("CREATE VIEW v AS SELECT * FROM events",),
    "a column default": ("ALTER TABLE meta ADD COLUMN x TEXT DEFAULT 'y'",),
    "an index on an expression": ("CREATE INDEX ix ON events (length(payload))",),
    "a migration of a future release": (
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('kiosk', 'm999_future', 'now')",),
}


@pytest.mark.parametrize("how", sorted(CRAFTED))
def test_n11_a_database_without_exactly_a_station_schema_is_refused(tmp_path, waiting, how):
    crafted = tmp_path / "crafted.sealed"
    database = station_database(tmp_path, STATION, *CRAFTED[how])
    crafted.write_bytes(seal_v1(zlib.compress(database), waiting.public_hex, BACKUP_V1))
    result = waiting.open_backup(crafted, tmp_path / "out.sealed")
    assert result.exit_code != 0, result.output
    assert "schema" in result.output, result.output
    assert not (tmp_path / "out.sealed").exists()


@pytest.mark.parametrize("stop_before", [None, "m012_event_secrets"])
def test_n11_a_station_schema_of_this_or_an_older_release_opens(tmp_path, waiting, stop_before):
    sealed = tmp_path / "backup.sealed"
    database = station_database(tmp_path, STATION, stop_before=stop_before)
    sealed.write_bytes(seal_v1(zlib.compress(database), waiting.public_hex, BACKUP_V1))
    result = waiting.open_backup(sealed, tmp_path / "out.sealed")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out.sealed").exists()


def test_n11_the_new_card_checks_the_schema_before_reading_the_events(tmp_path):
    """The file the county seals for the new card carries the old station's database: the
    restore refuses one whose events are read through a view, before reading them."""
    from kiosk.domain.events import GENESIS_HASH
    from kiosk.ops.backup import database_bytes
    from kiosk.protocol.sealed import bundle, seal_to_ed25519
    from kiosk.protocol.succession import sign_succession, succession_body
    from kiosk.protocol.sync import ack_body, sign_ack
    old_path, old = station(tmp_path, "old", STATION, start=True)
    from kiosk.config.loader import load_config
    genuine = database_bytes(load_config(old_path).station.database)
    new_path, new = station(tmp_path, "new", STATION)
    waiting = waiting_county(tmp_path, STATION, old, new)
    new_path.write_text(new_path.read_text() + f'\n[county]\npublic_key = "{waiting.public_hex}"\n')
    crafted = altered(genuine, "ALTER TABLE events RENAME TO kept",
                      "CREATE VIEW events AS SELECT * FROM kept")
    county_key = waiting.key()
    now = "2026-12-01T08:00:00.000000Z"
    succession = sign_succession(succession_body(STATION, old.public_bytes().hex(),
                                                 new.public_bytes().hex(), now), county_key)
    head = sign_ack(ack_body(STATION, 0, GENESIS_HASH, now), county_key)
    for database, refused in ((crafted, True), (genuine, False)):
        sealed = tmp_path / "for-new.sealed"
        sealed.write_bytes(seal_to_ed25519(bundle(database, succession, head),
                                           new.public_bytes().hex(), RESTORE_LABEL))
        result = kiosk(new_path, "restore", "--from-backup", str(sealed))
        if refused:
            assert result.exit_code != 0 and "schema" in result.output, result.output
            assert not load_config(new_path).station.database.exists()
        else:
            assert result.exit_code == 0, result.output
