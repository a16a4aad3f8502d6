"""Finding N14, the backup part (issue 23): a sealed backup named its station in the clear,
in its header ("kiosk-backup:<station>:<time>") and its file name, and so did the file the
county seals for the new card. Whoever finds the USB stick learnt whose it was. Now neither
shows it; files of the first format still open, at the county and on the new card."""

from __future__ import annotations

import shutil
import zlib

from kiosk.config.loader import load_config
from kiosk.domain.events import GENESIS_HASH
from kiosk.ops.backup import database_bytes
from kiosk.protocol.sealed import bundle
from kiosk.protocol.succession import sign_succession, succession_body
from kiosk.protocol.sync import ack_body, sign_ack
from kiosk.testing.station import write_station_config
from tests.security.backups import kiosk, seal_v1, station, waiting_county

STATION = "xinglong-n14"


def test_n14_nothing_in_a_sealed_file_names_its_station(tmp_path):
    old_path, old = station(tmp_path, "old", STATION)
    new_path, new = station(tmp_path, "new", STATION)
    waiting = waiting_county(tmp_path, STATION, old, new)
    county_extra = f'\n[county]\npublic_key = "{waiting.public_hex}"\n'
    for path in (old_path, new_path):
        path.write_text(path.read_text() + county_extra)
    from kiosk.bootstrap import build_core
    build_core(load_config(old_path)).close()

    made = kiosk(old_path, "backup", "--to", str(tmp_path / "usb"))
    assert made.exit_code == 0, made.output
    (sealed,) = (tmp_path / "usb").iterdir()
    assert STATION not in sealed.name
    assert STATION.encode() not in sealed.read_bytes()
    resealed = tmp_path / "for-new.sealed"
    opened = waiting.open_backup(sealed, resealed)
    assert opened.exit_code == 0, opened.output
    assert STATION in opened.output  # the county, opening it, learns whose it is
    assert STATION.encode() not in resealed.read_bytes()

    def card(name: str):
        """A new card with the successor key, nothing on it yet."""
        path = write_station_config(tmp_path / name, None, station_id=STATION,
                                    extra=county_extra)
        target = load_config(path).station.key_file
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(load_config(new_path).station.key_file, target)
        return path

    restored = kiosk(card("card-1"), "restore", "--from-backup", str(resealed))
    assert restored.exit_code == 0, restored.output

    # Files of the first format: a backup made before, and a file the county sealed before.
    genuine = database_bytes(load_config(old_path).station.database)
    old_backup = tmp_path / "old-backup.sealed"
    old_backup.write_bytes(seal_v1(zlib.compress(genuine), waiting.public_hex,
                                   f"kiosk-backup:{STATION}:20261201T080000Z".encode()))
    assert waiting.open_backup(old_backup, tmp_path / "again.sealed").exit_code == 0
    assert kiosk(card("card-2"), "restore", "--from-backup",
                 str(tmp_path / "again.sealed")).exit_code == 0
    now = "2026-12-01T08:00:00.000000Z"
    succession = sign_succession(succession_body(STATION, old.public_bytes().hex(),
                                                 new.public_bytes().hex(), now), waiting.key())
    head = sign_ack(ack_body(STATION, 0, GENESIS_HASH, now), waiting.key())
    old_resealed = tmp_path / "old-for-new.sealed"
    old_resealed.write_bytes(seal_v1(zlib.compress(bundle(genuine, succession, head)),
                                     new.public_bytes().hex(), f"kiosk-restore:{STATION}".encode()))
    result = kiosk(card("card-3"), "restore", "--from-backup", str(old_resealed))
    assert result.exit_code == 0, result.output
    # A backup is not a file for the new card, nor the other way round.
    assert kiosk(card("card-4"), "restore", "--from-backup", str(old_backup)).exit_code != 0
