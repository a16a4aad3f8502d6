"""Reading the care-plan file: the shipped examples, or the station's own replacement."""

from __future__ import annotations

import tomllib
from pathlib import Path

from kiosk.domain.care_plans import PlanError, PlanSpec, parse_plans

SHIPPED = Path(__file__).parent / "care_plans.toml"


def load_plans(path: str | Path | None = None) -> dict[str, PlanSpec]:
    source = Path(path) if path else SHIPPED
    try:
        return parse_plans(tomllib.loads(source.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PlanError(f"{source}: {exc}") from exc
