"""The county's configuration: where its key and database live, and the settings an
operator may put in ``<data dir>/county.toml`` (docs/configuration.md, "The county").

```toml
[county]
database = "postgresql://kiosk@db.example/county"   # default: county.db in the data dir
metrics_token = "a long random string"              # /metrics with Authorization: Bearer ...
timezone = "Asia/Shanghai"                          # the reports' calendar months
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

    @property
    def key_file(self) -> Path:
        return self.data_dir / "county.key"

    @property
    def database_target(self) -> str:
        return self.database or str(self.data_dir / "county.db")


KNOWN = {f.name for f in fields(CountyConfig)} - {"data_dir"}


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
        if key == "trusted_proxies":
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 5:
                raise ConfigError("county.trusted_proxies", "must be a whole number 0 to 5",
                                  "1 behind one nginx (the deployment in docs/deploy.md)")
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
