"""[roster]: what the station keeps of residents of other stations (issue 24)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.errors import ConfigError


@dataclass(frozen=True)
class RosterSection:
    """[roster]: a visitor's record, looked up at the county when her card was tapped here, is
    kept this many days after her last tap, then forgotten (kiosk.store.visitors)."""

    visitor_days: int = 30


def roster_section(roster: dict[str, Any]) -> RosterSection:
    days = roster.get("visitor_days", RosterSection.visitor_days)
    if not 1 <= days <= 365:
        raise ConfigError("roster.visitor_days", "must be 1 to 365 days",
                          f"the default is {RosterSection.visitor_days}: a month after her last "
                          "visit here")
    return RosterSection(**roster)
