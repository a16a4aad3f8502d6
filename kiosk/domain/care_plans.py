"""Care plans are data: a plan lists items with windows counted in days from anchor dates.

The shipped plans (kiosk/care_plans.toml) are examples drawn from public guidance
and say so; a station may replace the file. Declining an item is her choice and
is recorded as such, with no penalty or flag anywhere.

A plan's name and an item's title are given per language (``title = { zh = "孕期保健", en =
"Prenatal care" }``), so each page shows the one for its reader. An older file's single string
keeps working: "孕期保健 Prenatal care" (Chinese, then English with no Chinese in it) is read as
those two; any other string is shown as it is in both languages.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from kiosk.domain.model import CarePlanItem
from kiosk.errors import KioskError


class PlanError(KioskError, ValueError):
    """A plan file entry is malformed; the message names the plan, item and field."""


_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_LATIN = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class Title:
    """A name in the station's two languages (Simplified Chinese first, English second)."""

    zh: str
    en: str

    @classmethod
    def from_text(cls, text: str) -> Title:
        """An older plan file's (or a stored item's) single string: "孕中期检查 Mid-pregnancy check
        (16-20 wk)" splits at the first space after which no Chinese follows, when Chinese comes
        before it and English after; anything else is the same text in both languages."""
        for found in re.finditer(r"\s+", text):
            chinese, english = text[:found.start()], text[found.end():]
            if _HAN.search(chinese) and _LATIN.search(english) and not _HAN.search(english):
                return cls(chinese, english)
        return cls(text, text)

    def shown(self, locale: str) -> str:
        """The title for a page in ``locale`` (a gettext locale: "zh_Hans_CN", "en", ...)."""
        return self.en if locale.split("_")[0].lower() == "en" else self.zh

    def __str__(self) -> str:
        """Both, as stored with her items and printed on receipts: "孕期保健 Prenatal care"."""
        return self.zh if self.zh == self.en else f"{self.zh} {self.en}"


@dataclass(frozen=True)
class ItemSpec:
    code: str
    titles: Title
    anchor: str
    earliest: int
    due: int
    latest: int

    @property
    def title(self) -> str:
        """Both languages, as stored with her items (CarePlanItem.title)."""
        return str(self.titles)


@dataclass(frozen=True)
class PlanSpec:
    id: str
    names: Title
    source: str
    example: bool
    sensitive: bool
    items: tuple[ItemSpec, ...]

    @property
    def name(self) -> str:
        return str(self.names)

    def anchors(self) -> set[str]:
        return {item.anchor for item in self.items}

    def item_titles(self, code: str | None) -> Title | None:
        """The titles of the item ``code`` (a repeated item's code carries its number: pickup-2)."""
        return next((i.titles for i in self.items if i.code == code), None)


def shown_title(plans: dict[str, PlanSpec], plan_id: str, code: str | None, stored: str,
                locale: str) -> str:
    """Her item's title for a page in ``locale``: the plan file's, or else what was stored with
    the item (another station's plan, an item the file no longer has). An item whose title was
    blanked for the public screen (FollowUpStatus.for_public) stays blank."""
    if not stored:
        return ""
    spec = plans.get(plan_id)
    titles = spec.item_titles(code) if spec else None
    return (titles or Title.from_text(stored)).shown(locale)


def _field(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in data:
        raise PlanError(f"{where}: missing {key!r}")
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise PlanError(f"{where}.{key}: must be {kind.__name__}")
    return value


def _title(data: dict[str, Any], key: str, where: str) -> Title:
    """A name per language ({ zh = "...", en = "..." }), or an older file's single string."""
    if key not in data:
        raise PlanError(f"{where}: missing {key!r}")
    value = data[key]
    if isinstance(value, str) and value.strip():
        return Title.from_text(value.strip())
    if isinstance(value, dict):
        unknown = sorted(set(value) - {"zh", "en"})
        if unknown:
            raise PlanError(f"{where}.{key}: unknown language {unknown[0]!r} (zh, en)")
        texts: dict[str, str] = {}
        for lang in ("zh", "en"):
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                raise PlanError(f"{where}.{key}.{lang}: must be a non-empty string")
            texts[lang] = text.strip()
        return Title(texts["zh"], texts["en"])
    raise PlanError(f"{where}.{key}: must be a string or {{ zh = \"...\", en = \"...\" }}")


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
            specs.append(ItemSpec(code, _title(raw, "title", at),
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
        plans[plan_id] = PlanSpec(plan_id, _title(raw, "name", where),
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
