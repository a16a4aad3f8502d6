"""Which waiting desk login page a technician's tap goes to (kiosk.station.desk_logins)."""

from __future__ import annotations

import threading

from kiosk.station.desk_logins import MAX_WAITING, PER_ADDRESS, WAIT_SECONDS, DeskLogins, device_cookie, device_owner
from kiosk.station.pin_tickets import PinTickets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def logins() -> tuple[DeskLogins, Clock, PinTickets]:
    clock = Clock()
    tickets = PinTickets(clock)
    return DeskLogins(clock, threading.Condition(), tickets), clock, tickets


def test_her_own_browsers_page_gets_her_tap_but_not_from_two_addresses():
    desk, _clock, _ = logins()
    stranger = desk.open("192.168.1.66", "x")
    hers = desk.open("192.168.1.20", "y", device="t1")
    assert desk.tap("t1", "赵", "Desk Reader") is hers and hers.own and not stranger.ticket
    desk, _clock, _ = logins()
    desk.open("192.168.1.20", "y", device="t1")
    desk.open("192.168.1.66", "y", device="t1")  # a copied cookie elsewhere: nobody gets it
    assert desk.tap("t1", "赵", "Desk Reader") is None


def test_the_only_address_waiting_gets_one_guess_and_a_logout_tap_gives_it_nothing():
    desk, _clock, tickets = logins()
    desk.open("192.168.1.66", "x")
    reloaded = desk.open("192.168.1.66", "x")  # the same page reloaded: its newest wait
    assert desk.tap("t1", "赵", "Desk Reader", own_only=True) is None
    assert desk.tap("t1", "赵", "Desk Reader") is reloaded and not reloaded.own
    assert tickets.wrong_pin(reloaded.ticket) is False  # one guess, spent
    desk.open("192.168.1.66", "x")
    desk.open("192.168.1.67", "x")  # a second address: nobody
    assert desk.tap("t1", "赵", "Desk Reader") is None


def test_codes_are_digits_and_answer_only_while_the_page_waits():
    desk, clock, _ = logins()
    wait = desk.open("192.168.1.20", "x")
    assert desk.confirm("١٢٣٤", "t1", "赵") is None and desk.confirm("12345", "t1", "赵") is None
    clock.now += WAIT_SECONDS
    assert desk.confirm(wait.code, "t1", "赵") is None and desk.state(wait.id) is None


def test_few_pages_per_address_and_in_all():
    desk, _clock, _ = logins()
    for _ in range(PER_ADDRESS + 3):
        desk.open("192.168.1.66", "x")
    assert sum(desk.state(w.id) is not None for w in desk._waits) == PER_ADDRESS
    full = [desk.open(f"10.0.{n // 200}.{n % 200}", "x") for n in range(MAX_WAITING)]
    assert full[-1] is None  # the LAN's pages are all taken...
    assert desk.open("192.168.1.20", "y", device="t1") is not None  # ...but hers still opens


def test_a_desk_cookie_is_signed():
    cookie = device_cookie(b"secret", "t1")
    assert device_owner(b"secret", cookie) == "t1"
    assert device_owner(b"other", cookie) == "" and device_owner(b"secret", "t2." + "0" * 32) == ""
    assert device_owner(b"secret", "ä.ö") == "" and device_owner(b"secret", None) == ""
