"""Demo residents, their cards and care-plan items (made up; dates relative to today)."""

from __future__ import annotations

import datetime as dt

from kiosk.domain.cards import uid_hash
from kiosk.domain.model import CarePlanItem, Card, Resident
from kiosk.domain.ports import UnitOfWork

# name, card UID (4, 7 and 10 byte UIDs all occur), village, birth date
DEMO_RESIDENTS = [
    ("wang", "王秀华", "04A1B2C3", "东湾村", "1994-03-12"),
    ("li", "李明", "04112233445566", "西岭村", "1988-07-01"),
    ("zhang", "张𠮷祥", "0411223344556677889A", "南坪村", "1979-11-23"),
    ("chen", "陈晓燕", "0A0B0C0D", "北山村", "2000-01-30"),
]
UNKNOWN_DEMO_CARD = "DEADBEEF"


def demo_card_uid(name_or_uid: str) -> str:
    """A demo card's UID from its short name or list number; anything else is taken as a UID."""
    for index, (short, _name, uid, _village, _born) in enumerate(DEMO_RESIDENTS, start=1):
        if name_or_uid.lower() in (short, str(index)):
            return uid
    if name_or_uid.lower() in ("unknown", "0"):
        return UNKNOWN_DEMO_CARD
    return name_or_uid


def seed_demo(uow: UnitOfWork, today: dt.date) -> int:
    """Register the demo residents (with events, like any registration); return how many."""
    added = 0
    for short, name, uid, village, born in DEMO_RESIDENTS:
        resident_id = f"demo-{short}"
        if uow.residents.get(resident_id):
            continue
        uow.residents.add(Resident(resident_id, name, born, village))
        uow.cards.add(Card(uid_hash(bytes.fromhex(uid)), resident_id))
        uow.record("resident.registered", {"resident_id": resident_id, "demo": True})
        uow.record("card.bound", {"resident_id": resident_id, "uid_hash": uid_hash(bytes.fromhex(uid))})
        for n, (plan, title, due_in) in enumerate(_items_for(short)):
            due = today + dt.timedelta(days=due_in)
            item = CarePlanItem(f"{resident_id}-{n}", resident_id, plan, title,
                                (due - dt.timedelta(days=7)).isoformat(), due.isoformat(),
                                (due + dt.timedelta(days=7)).isoformat())
            uow.care_items.add(item)
            uow.record("care_item.scheduled", {"item_id": item.id, "resident_id": resident_id,
                                               "plan": plan, "due": item.due})
        added += 1
    return added


def _items_for(short: str) -> list[tuple[str, str, int]]:
    return {
        "wang": [("prenatal", "孕中期检查 Mid-pregnancy check", 3),
                 ("prenatal", "孕早期建册 First prenatal visit", -20)],
        "li": [("contraceptive_supply", "避孕药具领取 Supply pick-up", 30)],
        "zhang": [("pre_pregnancy", "孕前健康检查 Pre-pregnancy check", 0)],
        "chen": [],
    }[short]
