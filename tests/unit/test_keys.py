import os
import stat

import pytest

from kiosk.bootstrap import build_core
from kiosk.errors import KeyFileError
from kiosk.keys import generate_key_file, load_key_file


def test_keygen_writes_0600(tmp_path):
    key = generate_key_file(tmp_path / "k" / "station.key")
    assert stat.S_IMODE(os.stat(tmp_path / "k" / "station.key").st_mode) == 0o600
    assert len(key.fingerprint().split(":")) == 8


def test_keygen_refuses_to_overwrite(tmp_path):
    generate_key_file(tmp_path / "station.key")
    with pytest.raises(KeyFileError, match="--force"):
        generate_key_file(tmp_path / "station.key")


def test_key_readable_by_others_is_refused_with_fix(tmp_path):
    path = tmp_path / "station.key"
    generate_key_file(path)
    os.chmod(path, 0o644)
    with pytest.raises(KeyFileError, match=f"chmod 600 {path}"):
        load_key_file(path)


def test_missing_key_says_how_to_make_one(tmp_path):
    with pytest.raises(KeyFileError, match="kiosk keygen"):
        load_key_file(tmp_path / "nope.key")


def test_database_refuses_another_stations_key(config, clock):
    build_core(config, clock).close()
    generate_key_file(config.station.key_file, force=True)
    with pytest.raises(KeyFileError, match="does not match"):
        build_core(config, clock)
