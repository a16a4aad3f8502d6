"""A long random station history built through the domain services (no reader, no pcscd):
registrations, virtual cards issued, reissued and revoked, check-ins and queue moves,
enrolments, visits, declines, corrections, consent, record views, technicians and wrong
PINs, over many local days. tests/county/test_restore.py and bench/restore.py rebuild a
station from it. The core's database runs with synchronous=OFF while it is built (speed:
nothing here tests durability)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from kiosk.domain.queue import QueueRefused
from kiosk.domain.registry import Registration
from kiosk.domain.validation import Invalid
from kiosk.sim.virtual_card import VirtualCard
from kiosk.sim.wallet import issue_virtual_card, read_card

VILLAGES = ("东湾村", "西岭村", "南坪村", "北溪村")
NAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"


class History:
    """``grow(events)`` appends actions until the log holds that many events."""

    def __init__(self, core, clock, seed: int = 14, technicians: int = 2, day_weight: float = 1.5):
        """``day_weight``: how often, among ~100 weighted actions, the day ends (1.5: about
        70 actions a day; a larger weight spreads fewer events over more months)."""
        self.core, self.clock, self.rng = core, clock, random.Random(seed)
        self.day_weight = day_weight
        core.db.execute("PRAGMA synchronous=OFF")
        self.technicians = [core.staff.add(f"技术员{n}", "246813").id for n in range(technicians)]
        self.cards: dict[str, VirtualCard] = {}  # resident id -> her current card
        self.revoked: list[VirtualCard] = []  # her earlier cards, revoked or replaced
        self.residents: list[str] = []
        self.uids = 0

    def head(self) -> int:
        return int(self.core.db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0])

    def grow(self, events: int) -> None:
        actions = [(self.register, 8), (self.check_in, 30), (self.queue_move, 25),
                   (self.enrol, 6), (self.visit, 8), (self.decline, 2), (self.correct, 3),
                   (self.consent, 2), (self.reissue, 2), (self.view, 4), (self.unknown_card, 1),
                   (self.wrong_pin, 0.3), (self.next_day, self.day_weight)]
        functions, weights = zip(*actions, strict=True)
        while self.head() < events:
            self.clock.advance(seconds=self.rng.randint(5, 90))
            try:
                self.rng.choices(functions, weights)[0]()
            except (Invalid, QueueRefused):
                pass  # a move the rules refuse (an empty queue, ...) writes nothing

    @property
    def by(self) -> str:
        return self.rng.choice(self.technicians)

    def _resident(self) -> str | None:
        return self.rng.choice(self.residents) if self.residents else None

    def _new_card(self, resident_id: str) -> VirtualCard:
        self.uids += 1
        uid = bytes([0x04]) + self.uids.to_bytes(3, "big") + bytes(self.uids % 2 * 3)
        card = issue_virtual_card(self.core, "resident", resident_id, uid,
                                  self.rng.choice(("mifare", "cpu")), by=self.by)
        self.cards[resident_id] = card
        return card

    def register(self) -> None:
        name = self.rng.choice(NAMES) + "".join(self.rng.choices(NAMES, k=self.rng.randint(1, 2)))
        consent = self.rng.random() < 0.85
        form = Registration(name, f"19{self.rng.randint(60, 99)}-0{self.rng.randint(1, 9)}-1"
                            f"{self.rng.randint(0, 9)}", self.rng.choice(VILLAGES),
                            f"138{self.rng.randint(10**7, 10**8 - 1)}", consent=consent)
        resident = self.core.registry.register(form, by=self.by)
        self.residents.append(resident.id)
        self._new_card(resident.id)

    def check_in(self) -> None:
        resident = self._resident()
        if resident in self.cards:
            self.core.checkins.handle_tap(read_card(self.cards[resident], self.core))

    def queue_move(self) -> None:
        queue, rooms = self.core.queue, self.core.queue.rooms
        with self.core.uow() as uow:
            day = queue.day(uow)
        entries = list(day.entries.values())
        if not entries:
            return
        entry = self.rng.choice(entries)
        move = self.rng.choice({"waiting": ("call", "call", "call", "prioritise"),
                                "called": ("start", "start", "start", "no_show", "recall"),
                                "in_service": ("done",), "no_show": ("put_back", "put_back")
                                }.get(entry.state, ("call",)))
        if move == "call":
            queue.call_next(self.rng.choice(rooms).id, self.by)
        elif move == "put_back":
            queue.put_back(entry.checkin_id, self.by)
        else:
            getattr(queue, move)(entry.checkin_id, self.by)

    def _today(self) -> dt.date:
        return self.core.care.today()

    def enrol(self) -> None:
        resident = self._resident()
        if resident is None:
            return
        plan_id = self.rng.choice(sorted(self.core.care.plans))
        plan = self.core.care.plans[plan_id]
        anchors = {a: (self._today() - dt.timedelta(days=self.rng.randint(0, 60))).isoformat()
                   for a in plan.anchors()}
        self.core.care.enrol(resident, plan_id, anchors, self.by)

    def _open_items(self) -> list[Any]:
        return self.core.db.execute(
            "SELECT id FROM care_plan_items WHERE done_on IS NULL AND declined_on IS NULL "
            "ORDER BY id").fetchall()

    def visit(self) -> None:
        items = self._open_items()
        if not items:
            return
        item = self.rng.choice(items)[0]
        visit = self.core.care.log_visit(item, self._today().isoformat(),
                                         self.rng.choice(("completed", "partly_done")),
                                         "备注" * self.rng.randint(0, 3), None, self.by)
        if self.rng.random() < 0.1:  # a correction names the visit it corrects
            self.core.care.log_visit(item, self._today().isoformat(), "completed_referred",
                                     "更正", None, self.by, corrects=visit.id)

    def decline(self) -> None:
        items, resident = self._open_items(), self._resident()
        if items and self.rng.random() < 0.6:
            self.core.care.decline_item(self.rng.choice(items)[0], self.by)
        elif resident:
            self.core.care.decline_plan(resident, self.rng.choice(sorted(self.core.care.plans)),
                                        self.by)

    def correct(self) -> None:
        resident = self._resident()
        if resident:
            self.core.registry.correct(resident, {"village": self.rng.choice(VILLAGES),
                                                  "phone": f"139{self.rng.randint(10**7, 10**8 - 1)}"},
                                       self.by)

    def consent(self) -> None:
        resident = self._resident()
        if resident is None:
            return
        consented = self.core.db.execute("SELECT consent_version FROM residents WHERE id = ?",
                                         (resident,)).fetchone()[0]
        if consented:
            self.core.registry.withdraw_consent(resident, self.by)
        else:
            self.core.registry.give_consent(resident, self.by)

    def reissue(self) -> None:
        resident = self._resident()
        if resident in self.cards:
            self.revoked.append(self.cards[resident])
            if self.rng.random() < 0.5:
                self._new_card(resident)  # the old card is revoked as replaced
            else:
                card_no = self.core.db.execute(
                    "SELECT card_no FROM issued_cards WHERE holder_id = ? AND status = 'active'",
                    (resident,)).fetchone()[0]
                self.core.desk.revoke(card_no, self.by)
                del self.cards[resident]

    def view(self) -> None:
        resident = self._resident()
        if resident:
            self.core.registry.viewed(resident, self.by)

    def unknown_card(self) -> None:
        self.core.checkins.handle_tap(bytes([0x08, *self.rng.randbytes(3)]))

    def wrong_pin(self) -> None:
        self.core.staff.check_pin(self.rng.choice(self.technicians), "000000")

    def next_day(self) -> None:
        self.clock.advance(days=1)
        self.core.queue.close_past_days()
