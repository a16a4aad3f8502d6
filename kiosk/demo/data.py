"""Demo residents, a demo technician, their signed virtual cards and care plans
(all made up; dates relative to today)."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from kiosk.domain.cards import parse_uid
from kiosk.domain.model import Resident
from kiosk.sim.virtual_card import VirtualCard
from kiosk.sim.wallet import issue_virtual_card, load_wallet, save_wallet

# name, card UID (4, 7 and 10 byte UIDs all occur), village, birth date, card kind
DEMO_RESIDENTS = [
    ("wang", "王秀华", "04A1B2C3", "东湾村", "1994-03-12", "mifare"),
    ("li", "李明", "04112233445566", "西岭村", "1988-07-01", "cpu"),
    ("zhang", "张𠮷祥", "0411223344556677889A", "南坪村", "1979-11-23", "mifare"),
    ("chen", "陈晓燕", "0A0B0C0D", "北山村", "2000-01-30", "cpu-ecc"),  # proves itself
]
DEMO_TECHNICIAN = ("tech", "演示技术员", "08D0D0D0", "123456")
UNKNOWN_DEMO_CARD = "DEADBEEF"
COPY_DEMO_CARD = "04C0FFEE"  # wang's record copied onto another card
WALLET = "demo-cards.json"


def panel_cards() -> list[tuple[str, str]]:
    """The demo panel's buttons: (card name to tap, label)."""
    cards = [(short, name) for short, name, *_ in DEMO_RESIDENTS]
    return cards + [("copy", "复制卡 Copied card"), (DEMO_TECHNICIAN[0], DEMO_TECHNICIAN[1]),
                    ("blank", "空白卡 Blank card"), ("new", "新发的卡 Newly issued card")]


def wallet_path(data_dir: Path) -> Path:
    return Path(data_dir) / WALLET


def demo_card(name_or_uid: str, wallet: dict[str, VirtualCard]) -> VirtualCard:
    """A demo card by short name or list number; anything else is a blank card with that UID."""
    key = name_or_uid.lower()
    for index, (short, *_rest) in enumerate(DEMO_RESIDENTS, start=1):
        if key == str(index):
            key = short
    if key in ("0", "unknown"):
        return VirtualCard(bytes.fromhex(UNKNOWN_DEMO_CARD), "mifare")
    if key == "blank":  # a new card from the box, to issue
        return VirtualCard(b"\x04" + secrets.token_bytes(3), "mifare")
    key = wallet_key(key, wallet)
    if key in wallet:
        return wallet[key].same_card()  # its key too, for a card that authenticates
    return VirtualCard(parse_uid(name_or_uid), "mifare")  # blank, so it can be issued


def wallet_key(name_or_uid: str, wallet: dict[str, VirtualCard]) -> str:
    """The wallet entry for a card name, or for a UID written in hex."""
    if name_or_uid.lower() in wallet:
        return name_or_uid.lower()
    compact = name_or_uid.replace(":", "").replace(" ", "").upper()
    return next((k for k, c in wallet.items() if c.uid.hex().upper() == compact), compact)


def keep_if_written(data_dir: Path, name: str, card: VirtualCard, before: bytes) -> None:
    """A card the station wrote (issued) goes into the wallet, so later taps present it."""
    if bytes(card.memory) == before:
        return
    path = wallet_path(data_dir)
    wallet = load_wallet(path)
    wallet[name if name in wallet else card.uid.hex().upper()] = card
    if name == "blank":
        wallet["new"] = card
    save_wallet(path, wallet)


def seed_demo(core, today: dt.date) -> dict[str, VirtualCard]:
    """Register the demo people and issue their cards (once); return the card wallet."""
    path = wallet_path(core.config.station.data_dir)
    wallet = load_wallet(path)
    if wallet:
        return wallet
    with core.uow() as uow:
        for short, name, _uid, village, born, _kind in DEMO_RESIDENTS:
            resident = Resident(f"demo-{short}", name, born, village,
                                consent_version="health-data-consent-v1",
                                consent_at=f"{today.isoformat()}T00:00:00+00:00")
            uow.residents.add(resident)
            uow.record("resident.registered", {**vars(resident), "by": "demo-setup"})
        uow.commit()
    for short, _name, uid, _village, _born, kind in DEMO_RESIDENTS:
        wallet[short] = issue_virtual_card(core, "resident", f"demo-{short}", bytes.fromhex(uid),
                                           kind, by="demo-setup")
    wallet["copy"] = wallet["wang"].copy_to(bytes.fromhex(COPY_DEMO_CARD))
    short, name, uid, pin = DEMO_TECHNICIAN
    tech = core.staff.add(name, pin, by="demo-setup")
    wallet[short] = issue_virtual_card(core, "technician", tech.id, bytes.fromhex(uid), "cpu",
                                       by="demo-setup")
    day = dt.timedelta(days=1)
    enrol = core.care.enrol
    wang = enrol("demo-wang", "prenatal",
                 {"last_menstrual_period": (today - 150 * day).isoformat()}, "demo-setup")
    core.care.log_visit(wang[0].id, (today - 70 * day).isoformat(), "completed", "",
                        None, "demo-setup")
    enrol("demo-li", "contraceptive-supply", {"enrolment_date": (today - 85 * day).isoformat()},
          "demo-setup")
    enrol("demo-zhang", "pre-pregnancy", {"enrolment_date": today.isoformat()}, "demo-setup")
    save_wallet(path, wallet)
    return wallet
