"""Helpers for the backup findings (N11, N14): a county with a station waiting for its
successor, station databases to craft, and the first sealed-box format written by hand.

Sealed boxes of the first format (``KIOSKSEAL1``, made before issue 23) are built here from
their specification, not by the product, so the tests also prove that such files still open.
"""

from __future__ import annotations

import os
import sqlite3
import zlib
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kiosk.keys import StationKey, generate_key_file
from kiosk.protocol.sealed import x25519_public_from_ed25519


def seal_v1(compressed: bytes, recipient_ed_hex: str, label: bytes) -> bytes:
    """A first-format sealed box of ``compressed`` (already zlib data), label in the clear:
    MAGIC | label length | label | ephemeral key | nonce | ChaCha20-Poly1305(plaintext)."""
    recipient = x25519_public_from_ed25519(bytes.fromhex(recipient_ed_hex))
    ephemeral = X25519PrivateKey.generate()
    eph_raw = ephemeral.public_key().public_bytes(serialization.Encoding.Raw,
                                                  serialization.PublicFormat.Raw)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
    key = HKDF(hashes.SHA256(), 32, salt=eph_raw + recipient,
               info=b"kiosk-sealed-box-v1\x00" + label).derive(shared)
    nonce = os.urandom(12)
    header = b"KIOSKSEAL1" + bytes([len(label)]) + label + eph_raw + nonce
    return header + ChaCha20Poly1305(key).encrypt(nonce, compressed, header)


def zeros_compressed(megabytes: int) -> bytes:
    """zlib data that inflates to ``megabytes`` MiB of zeros (about 1 KiB per MiB)."""
    packer, parts = zlib.compressobj(9), []
    chunk = bytes(1 << 20)
    for _ in range(megabytes):
        parts.append(packer.compress(chunk))
    parts.append(packer.flush())
    return b"".join(parts)


def county(data_dir: Path, *args: str) -> str:
    from kiosk.county.cli import main
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), *args])
    assert result.exit_code == 0, result.output
    return result.output


@dataclass
class WaitingCounty:
    """A county (its data directory and public key) where ``station_id`` was enrolled with
    ``old`` and replaced by ``new``: a backup of it may be opened for ``new``."""

    data_dir: Path
    public_hex: str
    station_id: str

    def open_backup(self, sealed: Path, out: Path, *options: str):
        from kiosk.county.cli import main
        return CliRunner().invoke(main, ["--data-dir", str(self.data_dir), "open-backup",
                                         str(sealed), "--out", str(out), *options])

    def key(self) -> StationKey:
        from kiosk.keys import load_key_file
        return load_key_file(self.data_dir / "county.key")


def waiting_county(tmp: Path, station_id: str, old: StationKey, new: StationKey
                   ) -> WaitingCounty:
    data_dir = tmp / "county"
    public = county(data_dir, "init").split("public key (hex): ")[1].strip()
    county(data_dir, "enroll", "--station", station_id, "--pubkey", old.public_bytes().hex())
    county(data_dir, "replace", "--station", station_id, "--pubkey", new.public_bytes().hex())
    return WaitingCounty(data_dir, public, station_id)


def station(tmp: Path, name: str, station_id: str, county_public_hex: str = "",
            start: bool = False) -> tuple[Path, StationKey]:
    """A station's config and key (``start``: its database made, its first event signed)."""
    from kiosk.config.loader import load_config
    from kiosk.testing.station import write_station_config
    extra = f'\n[county]\npublic_key = "{county_public_hex}"\n' if county_public_hex else ""
    path = write_station_config(tmp / name, None, station_id=station_id, extra=extra)
    key = generate_key_file(load_config(path).station.key_file)
    if start:
        from kiosk.bootstrap import build_core
        build_core(load_config(path)).close()
    return path, key


def kiosk(config: Path, *args: str):
    from kiosk.cli.main import main
    return CliRunner().invoke(main, ["--config", str(config), *args])


def station_database(tmp: Path, station_id: str, *statements: str,
                     stop_before: str | None = None) -> bytes:
    """A station database's bytes (migrated, up to ``stop_before``), with one event row of
    ``station_id`` and then ``statements`` run on it: how an attacker crafts one."""
    from sqlite_utils import Database

    from kiosk.store.migrations import migrations
    path = tmp / f"crafted-{len(list(tmp.glob('crafted-*')))}.db"
    db = Database(sqlite3.connect(path))
    migrations.apply(db, stop_before=stop_before)
    db.execute("INSERT INTO events (seq, id, v, station_id, type, payload, wall_time, boot_id, "
               "mono_ns, prev_hash, hash, signature) VALUES (1, 'e1', 1, ?, "
               "'station.initialized', '{}', 'w', 'b', 1, 'p', 'h', 's')", [station_id])
    db.conn.commit()
    db.conn.close()
    return altered(path.read_bytes(), *statements)


def altered(database: bytes, *statements: str) -> bytes:
    """``database`` with ``statements`` run on it (in memory), as bytes again."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.deserialize(database)
        for statement in statements:
            conn.execute(statement)
        conn.commit()
        return conn.serialize()
    finally:
        conn.close()
