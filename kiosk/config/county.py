"""[county]: where the station pushes its events, and the key the county's answers verify with.

The address must be https:// (plain http:// only to this machine, for tests and the demo):
an ftp:// or a LAN http:// address used to load, pass doctor and then kill the sync thread
with a traceback (docs/security.md, finding N13). Refusals name the key and the fix in both
languages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from kiosk.errors import ConfigError
from kiosk.i18n import bilingual

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


@dataclass(frozen=True)
class CountySection:
    """[county]: where to push events, and the key its acknowledgements must verify with."""

    url: str = ""
    public_key: str = ""  # hex
    ca_bundle: str = ""


def check_county(county: dict[str, Any]) -> None:
    """The county's address and key, before the section is built."""
    _check_url(county.get("url", ""))
    value = county.get("public_key", "")
    try:
        ok = not value or len(bytes.fromhex(value)) == 32
    except ValueError:
        ok = False
    if not ok:
        raise ConfigError("county.public_key", "must be 64 hex digits",
                          "copy it from `kiosk-county init` or the county IT officer")
    if county.get("url") and not value:
        raise ConfigError("county.public_key", "missing: acknowledgements cannot be checked",
                          "add public_key = \"...\" (kiosk-county init prints it)")


def _check_url(url: str) -> None:
    if not url:
        return
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port  # a port that is not a number raises here
    except ValueError:
        host, parts = None, None
    fix = bilingual("write the county's https:// address, e.g. https://county.example.gov.cn/ "
                    "(plain http:// only to 127.0.0.1, for tests)")
    if parts is None or not host:
        raise ConfigError("county.url", bilingual("{url} is not a web address", url=repr(url)),
                          fix)
    if parts.scheme == "https" or (parts.scheme == "http" and host in LOOPBACK_HOSTS):
        return
    raise ConfigError("county.url", bilingual(
        "{url} is not an https:// address: the county link would send and trust events in the "
        "clear", url=repr(url)), fix)
