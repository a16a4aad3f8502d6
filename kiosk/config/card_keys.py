"""The station's card key file (``cards.desfire_key_file``): its township's DESFire key, by
version, and the county's MIFARE Classic master key.

The county makes it (``kiosk-county card-key``) from the county card key, for one station,
and the technician installs it with ``setup.sh install --card-key FILE``: mode 0600, never in
an image, never in the log. A stolen station then makes or reads genuine DESFire cards of its
own township only. Older versions stay in the file so cards keyed with them are still
recognised, and re-keyed on their next tap (``cards.rekey``).

    # kiosk card keys: township chengguan, for station cg-01
    township = "chengguan"
    version = 2
    mifare_classic = "32 hex digits"
    [keys]
    1 = "32 hex digits"
    2 = "32 hex digits"
"""

from __future__ import annotations

import json
import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.errors import ConfigError
from kiosk.protocol.desfire import mifare_master, township_key

KEY = "cards.desfire_key_file"


@dataclass(frozen=True)
class CardKeyring:
    """A township's DESFire keys by version, and the county-wide MIFARE Classic master."""

    township: str
    version: int
    keys: dict[int, bytes] = field(default_factory=dict)
    mifare_classic: bytes = b""

    def key(self, version: int) -> bytes | None:
        return self.keys.get(version)

    @property
    def current(self) -> bytes:
        return self.keys[self.version]

    def __repr__(self) -> str:  # never the keys, not even in a traceback
        return f"CardKeyring({self.township!r}, version {self.version}, {len(self.keys)} keys)"


def _key(value: object, where: str) -> bytes:
    try:
        data = bytes.fromhex(str(value))
    except ValueError:
        data = b""
    if len(data) != 16:
        raise ConfigError(f"{KEY} ({where})", "is not 32 hex digits (an AES-128 key)",
                          "ask the county for a new card key file (kiosk-county card-key)")
    return data


def load_card_keys(path: Path) -> CardKeyring:
    """The key file, refused when others can read it or when it is not what the county makes."""
    try:
        mode = path.stat().st_mode
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(KEY, f"{path} does not exist",
                          "install the county's file: setup.sh install --card-key FILE") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(KEY, f"cannot read {path} ({exc})",
                          "ask the county for a new card key file") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(KEY, f"{path} can be read by others (mode {stat.S_IMODE(mode):o})",
                          f"chmod 600 {path}")
    township, version = raw.get("township"), raw.get("version")
    if not isinstance(township, str) or not township or len(township.encode()) > 64:
        raise ConfigError(KEY, "has no township", "ask the county for a new card key file")
    keys = {}
    for number, value in (raw.get("keys") or {}).items():
        if not str(number).isdigit() or not 0 < int(number) < 256:
            raise ConfigError(f"{KEY} (keys)", f"{number!r} is not a key version 1-255",
                              "ask the county for a new card key file")
        keys[int(number)] = _key(value, f"version {number}")
    if not isinstance(version, int) or version not in keys:
        raise ConfigError(KEY, "its version has no key", "ask the county for a new card key file")
    return CardKeyring(township, version, keys, _key(raw.get("mifare_classic", ""), "mifare_classic"))


def keyring_for(county_key: bytes, township: str, version: int = 1) -> CardKeyring:
    """What the county hands one station of ``township``: that township's keys of every
    version up to ``version`` (older cards are recognised and re-keyed), derived from the
    county card key, and the county's MIFARE Classic master."""
    keys = {v: township_key(county_key, township, v) for v in range(1, version + 1)}
    return CardKeyring(township, version, keys, mifare_master(county_key))


def write_card_keys(path: Path, keyring: CardKeyring, comment: str = "") -> None:
    """Write a key file readable by its owner only (created 0600, never widened)."""
    lines = [f"# kiosk card keys{': ' + comment if comment else ''}",
             f"township = {json.dumps(keyring.township, ensure_ascii=False)}",
             f"version = {keyring.version}",
             f'mifare_classic = "{keyring.mifare_classic.hex().upper()}"', "[keys]"]
    lines += [f'{number} = "{key.hex().upper()}"' for number, key in sorted(keyring.keys.items())]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
