"""The PIN form's ticket, shared by the kiosk screen's login and the desk's."""

from kiosk.station.pin_tickets import TICKET_SECONDS, PinTickets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_ticket_answers_only_with_its_own_form_token_and_only_while_it_lives():
    clock = Clock()
    tickets = PinTickets(clock)
    ticket, csrf = tickets.issue("t1", "赵技术员")
    assert tickets.check(ticket, csrf) == ("t1", "赵技术员")
    assert tickets.check(ticket, "not-its-token") is None
    assert tickets.check(ticket, "") is None
    assert tickets.check("no-such-ticket", csrf) is None
    clock.now += TICKET_SECONDS + 1
    assert tickets.check(ticket, csrf) is None


def test_a_used_ticket_is_dropped_and_expired_ones_are_forgotten():
    clock = Clock()
    tickets = PinTickets(clock)
    ticket, csrf = tickets.issue("t1", "赵技术员")
    tickets.drop(ticket)
    assert tickets.check(ticket, csrf) is None
    for _ in range(5):
        tickets.issue("t1", "赵技术员")
    clock.now += TICKET_SECONDS
    tickets.issue("t2", "钱技术员")
    assert len(tickets._tickets) == 1  # the five old ones went when the new one came
    tickets.clear()
    assert not tickets._tickets
