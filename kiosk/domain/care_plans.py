"""Care plans are data: a plan lists items with windows counted in days from anchor dates.

The shipped plans (kiosk/care_plans.toml) are examples drawn from public guidance
and say so; a station may replace the file. Declining an item is her choice and
is recorded as such, with no penalty or flag anywhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from kiosk.domain.model import CarePlanItem
from kiosk.errors import KioskError


class PlanError(KioskError, ValueError):
    """A plan file entry is malformed; the message names the plan, item and field."""


@dataclass(frozen=True)
class ItemSpec:
    code: str
    title: str  # "中文 English", as shown to her and to staff
    anchor: str
    earliest: int
    due: int
    latest: int


@dataclass(frozen=True)
class PlanSpec:
    id: str
    name: str
    source: str
    example: bool
    sensitive: bool
    items: tuple[ItemSpec, ...]

    def anchors(self) -> set[str]:
        return {item.anchor for item in self.items}


def _field(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in data:
        raise PlanError(f"{where}: missing {key!r}")
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise PlanError(f"{where}.{key}: must be {kind.__name__}")
    return value


def _items(plan: dict[str, Any], where: str, default_anchor: str) -> list[ItemSpec]:
    specs = []
    for n, raw in enumerate(_field(plan, "items", list, where)):
        at = f"{where}.items[{n}]"
        days = [_field(raw, k, int, at) for k in ("earliest_days", "due_days", "latest_days")]
        if not days[0] <= days[1] <= days[2]:
            raise PlanError(f"{at}: needs earliest_days <= due_days <= latest_days")
        repeat = raw.get("repeat_every_days", 0)
        for r in range(raw.get("repeat_count", 1)):
            shift = r * repeat
            code = _field(raw, "code", str, at) + (f"-{r + 1}" if repeat else "")
            specs.append(ItemSpec(code, _field(raw, "title", str, at),
                                  raw.get("anchor", default_anchor), days[0] + shift,
                                  days[1] + shift, days[2] + shift))
    return specs


def parse_plans(data: dict[str, Any]) -> dict[str, PlanSpec]:
    plans = {}
    for n, raw in enumerate(data.get("plans", [])):
        where = f"plans[{n}]"
        plan_id = _field(raw, "id", str, where)
        where = f"plan {plan_id!r}"
        items = _items(raw, where, _field(raw, "anchor", str, where))
        if len({i.code for i in items}) != len(items):
            raise PlanError(f"{where}: item codes must be unique")
        plans[plan_id] = PlanSpec(plan_id, _field(raw, "name", str, where),
                                  _field(raw, "source", str, where), bool(raw.get("example", False)),
                                  bool(raw.get("sensitive", True)), tuple(items))
    if not plans:
        raise PlanError("no [[plans]] found")
    return plans


def schedule(plan: PlanSpec, anchors: dict[str, dt.date], resident_id: str,
             id_prefix: str) -> list[CarePlanItem]:
    """Her items for one enrolment, each with its window as dates."""
    missing = plan.anchors() - anchors.keys()
    if missing:
        raise PlanError(f"plan {plan.id!r} needs the date(s): {', '.join(sorted(missing))}")

    def day(item: ItemSpec, offset: int) -> str:
        return (anchors[item.anchor] + dt.timedelta(days=offset)).isoformat()

    return [CarePlanItem(f"{id_prefix}-{item.code}", resident_id, plan.id, item.title,
                         day(item, item.earliest), day(item, item.due), day(item, item.latest))
            for item in plan.items]
