"""The county's configuration: where its key and database live, and the settings an
operator may put in ``<data dir>/county.toml`` (docs/configuration.md, "The county").

```toml
[county]
database = "postgresql://kiosk@db.example/county"   # default: county.db in the data dir
metrics_token = "a long random string"              # /metrics with Authorization: Bearer ...
timezone = "Asia/Shanghai"                          # the reports' calendar months
presence_window_s = 86400                           # a change away from her home needs her card
lookups_per_minute = 30                             # visitor lookups per station (then 429)
lookup_alert_per_day = 300                          # per station in 24 h (then 429 and ALERT)
```
The command line's ``--database`` (or $KIOSK_COUNTY_DATABASE) wins over the file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.errors import ConfigError

DEFAULT_DIR = Path("/var/lib/kiosk-county")
CONFIG_FILE = "county.toml"


@dataclass(frozen=True)
class CountyConfig:
    data_dir: Path = DEFAULT_DIR
    database: str | None = None        # a postgresql:// URL, or None: county.db in data_dir
    metrics_token: str | None = None   # lets a scraper read /metrics without a login
    timezone: str = "Asia/Shanghai"    # local calendar months of the reports
    trusted_proxies: int = 1           # reverse proxies in front that set X-Forwarded-For
    presence_window_s: int = 86400     # her card at a station before it may change her care
    lookups_per_minute: int = 30       # visitor lookups a station may ask for (then 429)
    lookup_alert_per_day: int = 300    # in 24 hours (then 429 and an ALERT in the log)

    @property
    def key_file(self) -> Path:
        return self.data_dir / "county.key"

    @property
    def database_target(self) -> str:
        return self.database or str(self.data_dir / "county.db")


KNOWN = {f.name for f in fields(CountyConfig)} - {"data_dir"}
# Whole-number settings: (lowest, highest, the fix a refusal names).
NUMBERS = {
    "trusted_proxies": (0, 5, "1 behind one nginx (the deployment in docs/deploy.md)"),
    "presence_window_s": (10, 7 * 86400, "86400 (24 hours): her card tapped at a station that "
                                         "day lets it change her care"),
    "lookups_per_minute": (1, 10000, "30: a busy station's visitors, one by one"),
    "lookup_alert_per_day": (1, 1000000, "300: more visitors than a township station sees"),
}


def load_county_config(data_dir: Path, database: str | None = None) -> CountyConfig:
    """The data directory's county.toml (if any), with the command line's database on top."""
    values: dict[str, object] = {}
    path = data_dir / CONFIG_FILE
    if path.exists():
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8")).get("county", {})
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError("county", f"{path} cannot be read ({exc})",
                              "write it as TOML with a [county] table") from None
        values = _checked(table)
    if database:
        values["database"] = database
    return CountyConfig(data_dir=data_dir, **values)  # type: ignore[arg-type]


def _checked(table: dict[str, object]) -> dict[str, object]:
    for key, value in table.items():
        if key not in KNOWN:
            raise ConfigError(f"county.{key}", "unknown key", f"use one of {sorted(KNOWN)}")
        if key in NUMBERS:
            low, high, fix = NUMBERS[key]
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ConfigError(f"county.{key}", f"must be a whole number {low} to {high}", fix)
        elif not isinstance(value, str):
            raise ConfigError(f"county.{key}", "must be a string", f'{key} = "..."')
    token = table.get("metrics_token")
    if token is not None and len(str(token)) < 32:
        raise ConfigError("county.metrics_token", "shorter than 32 characters",
                          "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'")
    if "timezone" in table:
        try:
            ZoneInfo(str(table["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError("county.timezone", f"unknown time zone {table['timezone']!r}",
                              'an IANA name such as "Asia/Shanghai"') from None
    return dict(table)
