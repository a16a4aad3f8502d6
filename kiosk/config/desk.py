"""[desk] and [reader] roles: the technician pages on the station LAN, and which reader is hers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.errors import ConfigError


@dataclass(frozen=True)
class DeskSection:
    """[desk]: the technician pages on the station LAN, over HTTPS only (off by default)."""

    enabled: bool = False
    host: str = "0.0.0.0"
    port: int = 8443
    cert_file: Path | None = None  # None: the station's own certificate, made at first start
    key_file: Path | None = None
    idle_logout_seconds: int = 900
    sessions: int = 3


def reader_roles(reader: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """[reader] roles: reader name (or prefix) -> "kiosk" or "desk"."""
    roles = []
    for name, role in reader.get("roles", {}).items():
        if role not in ("kiosk", "desk"):
            raise ConfigError(f"reader.roles.{name!r}", f"{role!r} is not a reader role",
                              'use "kiosk" (public check-in) or "desk" (the technician\'s desk)')
        if not name.strip():
            raise ConfigError("reader.roles", "an empty reader name", "write the reader's name "
                              "or the start of it, as `kiosk doctor` lists it")
        roles.append((name, role))
    return tuple(roles)


def desk_section(desk: dict[str, Any], base: Path) -> DeskSection:
    """[desk]: the LAN side; a county-issued certificate needs both its files."""
    defaults = DeskSection()
    if not 1 <= desk.get("port", defaults.port) <= 65535:
        raise ConfigError("desk.port", f"{desk['port']} is not a TCP port", "use 1-65535, e.g. 8443")
    if not 30 <= desk.get("idle_logout_seconds", defaults.idle_logout_seconds) <= 43200:
        raise ConfigError("desk.idle_logout_seconds", "must be 30 to 43200 seconds",
                          f"the default is {defaults.idle_logout_seconds}")
    if not 1 <= desk.get("sessions", defaults.sessions) <= 20:
        raise ConfigError("desk.sessions", "must be 1 to 20 desk sessions",
                          f"the default is {defaults.sessions}")
    if bool(desk.get("cert_file")) != bool(desk.get("key_file")):
        raise ConfigError("desk.key_file" if desk.get("cert_file") else "desk.cert_file",
                          "a county-issued certificate needs both cert_file and key_file",
                          "set both, or neither (the station then makes its own)")
    paths = {k: base / desk[k] for k in ("cert_file", "key_file") if desk.get(k)}
    return DeskSection(**{**desk, **paths})
