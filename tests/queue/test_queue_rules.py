"""The queue's state machine (kiosk.domain.queue): every move and every refused one."""

import pytest

from kiosk.domain.queue import CALLED, DONE, IN_SERVICE, NO_SHOW, NOT_SERVED, WAITING, DayQueue, QueueRefused, new_entry

AT = "2026-12-01T01:00:00+00:00"


def day_with(n: int) -> DayQueue:
    return DayQueue(new_entry(f"c{i}", "2026-12-01", i) for i in range(1, n + 1))


def numbers(day: DayQueue) -> list[int]:
    return [e.queue_no for e in day.waiting()]


def test_waiting_called_in_service_done():
    day = day_with(2)
    move = day.call_next("room1", AT, "t1")
    assert (move.entry.queue_no, move.entry.state, move.entry.room) == (1, CALLED, "room1")
    assert move.event_type == "queue.called"
    assert move.payload == {"checkin_id": "c1", "queue_no": 1, "local_date": "2026-12-01",
                            "room": "room1", "at": AT, "by": "t1"}
    assert day.recall("c1", AT, "t1").event_type == "queue.recalled"
    assert day.start("c1", AT, "t1").entry.state == IN_SERVICE
    assert day.done("c1", AT, "t1").entry.state == DONE
    assert numbers(day) == [2]


@pytest.mark.parametrize("moves, refused", [
    (["call", "start", "done"], "done"),                  # done twice
    (["call", "start", "done"], "call"),                  # calling a done entry
    ([], "put_back"),                                     # putting back someone never called
    ([], "start"),                                        # starting someone not called
    ([], "done"),                                         # done without service
    ([], "no_show"),                                      # no-show without a call
    ([], "recall"),                                       # re-call without a call
    (["call"], "call"),                                   # called twice at once
    (["call"], "put_back"),                               # put back while still called
    (["call", "start"], "no_show"),                       # no-show once in service
    (["call", "no_show"], "start"),                       # start after the number passed
    (["call"], "prioritise"),                             # priority only while waiting
])
def test_refused_moves(moves, refused):
    day = day_with(2)
    actions = {
        "call": lambda: day.call("c1", "room1", AT, "t1"),
        "recall": lambda: day.recall("c1", AT, "t1"),
        "start": lambda: day.start("c1", AT, "t1"),
        "done": lambda: day.done("c1", AT, "t1"),
        "no_show": lambda: day.no_show("c1", AT, "t1"),
        "put_back": lambda: day.put_back("c1", 2, AT, "t1"),
        "prioritise": lambda: day.prioritise("c1", AT, "t1"),
    }
    for name in moves:
        actions[name]()
    before = dict(day.entries)
    with pytest.raises(QueueRefused):
        actions[refused]()
    assert day.entries == before  # a refused move changes nothing


def test_calling_an_empty_queue_or_an_unknown_number_is_refused():
    with pytest.raises(QueueRefused):
        DayQueue().call_next("room1", AT, "t1")
    with pytest.raises(QueueRefused):
        day_with(1).call("nobody", "room1", AT, "t1")


def test_priority_goes_first_in_its_own_checkin_order():
    day = day_with(5)
    day.prioritise("c4", AT, "t1")
    day.prioritise("c3", AT, "t1")
    assert numbers(day) == [3, 4, 1, 2, 5]
    assert day.call_next("room1", AT, "t1").entry.queue_no == 3


def test_a_returned_no_show_waits_behind_the_next_two():
    day = day_with(6)
    day.call_next("room1", AT, "t1")
    day.no_show("c1", AT, "t1")
    move = day.put_back("c1", 2, AT, "t1")
    assert move.event_type == "queue.returned" and move.payload["after"] == 2
    assert move.entry.state == WAITING
    assert numbers(day) == [2, 3, 1, 4, 5, 6]


def test_a_return_into_a_short_line_goes_to_its_end_and_before_later_checkins():
    day = day_with(2)
    day.call("c1", "room1", AT, "t1")
    day.no_show("c1", AT, "t1")
    day.put_back("c1", 2, AT, "t1")
    assert numbers(day) == [2, 1]
    day.add(new_entry("c3", "2026-12-01", 3))
    assert numbers(day) == [2, 1, 3]


def test_day_end_closes_only_unfinished_entries():
    day = day_with(4)
    day.call("c1", "room1", AT, "t1")
    day.call("c2", "room1", AT, "t1")
    day.start("c2", AT, "t1")
    day.call("c3", "room1", AT, "t1")
    day.no_show("c3", AT, "t1")
    moves = day.close_day(AT)
    assert [(m.entry.queue_no, m.event_type) for m in moves] == [
        (1, "queue.not_served"), (2, "queue.not_served"), (4, "queue.not_served")]
    assert day.entries["c3"].state == NO_SHOW
    assert all(day.entries[c].state == NOT_SERVED for c in ("c1", "c2", "c4"))


def test_no_estimate_below_three_served_then_the_median():
    day = day_with(6)
    times = [("01:00", "01:04"), ("01:05", "01:15"), ("01:16", "01:22")]
    for i, (called, done) in enumerate(times, start=1):
        day.call(f"c{i}", "room1", f"2026-12-01T{called}:00+00:00", "t1")
        day.start(f"c{i}", AT, "t1")
        if i < 3:
            day.done(f"c{i}", f"2026-12-01T{done}:00+00:00", "t1")
    assert day.estimated_wait_minutes("c5", rooms=1) is None
    day.done("c3", "2026-12-01T01:22:00+00:00", "t1")
    assert day.median_service_seconds() == 360
    assert day.ahead_of("c5") == 1
    assert day.estimated_wait_minutes("c5", rooms=1) == 12  # two people at 6 minutes
    assert day.estimated_wait_minutes("c5", rooms=2) == 6
