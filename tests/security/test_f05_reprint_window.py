"""Finding 5: the button reprinted the last person's receipt at any time.

The button reprints only the receipt of the station's last check-in, within
``printer.reprint_seconds`` of it; otherwise nothing prints and the public screen says so
(Chinese by default, English through the catalog).
"""

import pytest

from kiosk.adapters.printers import MemoryPrinter
from kiosk.bootstrap import reprint_button
from kiosk.config.loader import parse_config
from kiosk.errors import ConfigError
from kiosk.sim.wallet import read_card
from kiosk.station.hub import ScreenHub
from kiosk.station.spooler import PrintSpooler
from kiosk.store.database import connect_readonly as connect
from kiosk.store.writer import Writer
from kiosk.testing.station import seed_residents
from kiosk.web import create_app


@pytest.fixture
def spooler(config, clock):
    spooler = PrintSpooler(config.station.database, MemoryPrinter(), "站", "Asia/Shanghai", clock=clock,
                           reprint_seconds=config.printer.reprint_seconds)
    spooler.db = connect(config.station.database)  # driven by hand, not by its thread
    spooler.writer = Writer.open(config.station.database)  # the process's one writer
    yield spooler
    spooler.db.conn.close()
    spooler.writer.close()


def print_pending(spooler, clock):
    while (job := spooler.queue.next_pending()) is not None:
        spooler.queue.attempted(job[0], "ready", "printed", clock.now().isoformat())


def reprints(spooler) -> list[str]:
    return [row[0] for row in spooler.db.execute(
        "SELECT checkin_id FROM print_jobs WHERE reason = 'reprint'").fetchall()]


def test_f05_reprint_only_the_last_checkin_within_reprint_seconds(core, station_dir, spooler, clock):
    first, second = seed_residents(station_dir / "kiosk.toml", 2)
    earlier = core.checkins.handle_tap(read_card(first))
    clock.advance(seconds=30)
    last = core.checkins.handle_tap(read_card(second))
    print_pending(spooler, clock)
    assert spooler.reprint_seconds == 120
    clock.advance(seconds=100)
    assert spooler.reprint_last() and reprints(spooler) == [last.checkin_id]
    print_pending(spooler, clock)  # the reprint is now the receipt printed last
    clock.advance(seconds=21)  # 121 s after the last check-in
    assert not spooler.reprint_last()
    assert reprints(spooler) == [last.checkin_id] and earlier.checkin_id not in reprints(spooler)
    clock.advance(hours=3)
    assert not spooler.reprint_last() and len(reprints(spooler)) == 1


def test_f05_refused_reprint_says_so_on_the_screen(core, station_dir, spooler, clock):
    (card,) = seed_residents(station_dir / "kiosk.toml", 1)
    core.checkins.handle_tap(read_card(card))
    print_pending(spooler, clock)
    clock.advance(seconds=121)
    hub = ScreenHub()
    app = create_app(hub, {"IDLE_SECONDS": 5})
    for lang, text in (("zh_Hans_CN", "无法补打此小票"), ("en", "This receipt cannot be reprinted")):
        client = app.test_client()
        client.set_cookie("lang", lang)
        response = client.get("/events", buffered=False)
        stream = iter(response.response)
        assert "retry" in next(stream).decode() and "status" in next(stream).decode()
        reprint_button(spooler, hub)()  # the button is pressed
        notice = next(stream).decode()
        assert notice.startswith("event: notice") and text in notice and "reprint_refused" in notice
        response.close()
    assert reprints(spooler) == []


def test_f05_reprint_seconds_is_validated():
    assert parse_config({"station": {"id": "st-1"}}).printer.reprint_seconds == 120
    assert parse_config({"station": {"id": "st-1"},
                         "printer": {"reprint_seconds": 60}}).printer.reprint_seconds == 60
    with pytest.raises(ConfigError, match="printer.reprint_seconds"):
        parse_config({"station": {"id": "st-1"}, "printer": {"reprint_seconds": 0}})
