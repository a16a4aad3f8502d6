"""The county's configuration: where its key and database live, and the settings an
operator may put in ``<data dir>/county.toml`` (docs/county.md, "county.toml").

```toml
[county]
database = "postgresql://kiosk@db.example/county"   # default: county.db in the data dir
metrics_token = "a long random string"              # /metrics with Authorization: Bearer ...
trusted_proxies = 1                                 # proxies in front that set X-Forwarded-For
presence_window_s = 86400                           # a change away from her home needs her card
lookups_per_minute = 30                             # visitor lookups per station (then 429)
lookup_alert_per_day = 300                          # per station in 24 h (then 429 and ALERT)

[reports]
threshold = 5                                       # counts of 1 to 4 read "<5"
timezone = "Asia/Shanghai"                          # the reports' calendar months
```
The command line's ``--database`` (or $KIOSK_COUNTY_DATABASE) wins over the file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.errors import ConfigError

DEFAULT_DIR = Path("/var/lib/kiosk-county")
CONFIG_FILE = "county.toml"


@dataclass(frozen=True)
class ReportsSection:
    """``[reports]``: the service reports' suppression threshold and calendar."""

    threshold: int = 5               # a count of 1 to threshold - 1 is shown as "<threshold"
    timezone: str = "Asia/Shanghai"  # local calendar months (a change needs kiosk-county rebuild)


@dataclass(frozen=True)
class CountyConfig:
    data_dir: Path = DEFAULT_DIR
    database: str | None = None        # a postgresql:// URL, or None: county.db in data_dir
    metrics_token: str | None = None   # lets a scraper read /metrics without a login
    trusted_proxies: int = 1           # reverse proxies in front that set X-Forwarded-For
    presence_window_s: int = 86400     # her card at a station before it may change her care
    lookups_per_minute: int = 30       # visitor lookups a station may ask for (then 429)
    lookup_alert_per_day: int = 300    # in 24 hours (then 429 and an ALERT in the log)
    reports: ReportsSection = field(default_factory=ReportsSection)

    @property
    def key_file(self) -> Path:
        return self.data_dir / "county.key"

    @property
    def card_key_file(self) -> Path:
        """The county card key (kiosk-county card-key init): relayed card authentication and
        the stations' card key files (docs/cards.md)."""
        return self.data_dir / "card.key"

    @property
    def database_target(self) -> str:
        return self.database or str(self.data_dir / "county.db")


KNOWN = {f.name for f in fields(CountyConfig)} - {"data_dir", "reports"}
REPORT_KEYS = {f.name for f in fields(ReportsSection)}
TABLES = {"county", "reports"}
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
    values: dict[str, Any] = {}
    path = data_dir / CONFIG_FILE
    if path.exists():
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError("county", f"{path} cannot be read ({exc})",
                              "write it as TOML with a [county] table") from None
        for table in document:
            if table not in TABLES:
                raise ConfigError(table, "unknown table", "use [county] or [reports]")
        values = _checked(document.get("county", {}))
        values["reports"] = _reports(document.get("reports", {}))
    if database:
        values["database"] = database
    return CountyConfig(data_dir=data_dir, **values)


def _checked(table: dict[str, object]) -> dict[str, object]:
    for key, value in table.items():
        if key == "timezone":
            raise ConfigError("county.timezone", "moved to the [reports] table",
                              'write it under [reports] as timezone = "Asia/Shanghai"')
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
    return dict(table)


def _reports(table: dict[str, object]) -> ReportsSection:
    for key in table:
        if key not in REPORT_KEYS:
            raise ConfigError(f"reports.{key}", "unknown key", f"use one of {sorted(REPORT_KEYS)}")
    threshold = table.get("threshold", ReportsSection.threshold)
    if not isinstance(threshold, int) or isinstance(threshold, bool) or not 2 <= threshold <= 50:
        raise ConfigError("reports.threshold", "must be a whole number 2 to 50",
                          "threshold = 5 (counts of 1 to 4 then read \"<5\")")
    timezone = table.get("timezone", ReportsSection.timezone)
    try:
        if not isinstance(timezone, str):
            raise ValueError
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("reports.timezone", f"unknown time zone {timezone!r}",
                          'an IANA name such as timezone = "Asia/Shanghai"') from None
    return ReportsSection(threshold, timezone)
