"""Finding N5 (security round 2): a stranger could fill the voice cache.

The attack: ``GET /voice/<n>/<room>.wav`` needed no login; every new number was rendered with
espeak-ng and kept (about 593 KiB each), never pruned: numbers up to 99,999 came to 56.6 GiB
per room. Now a voice URL carries a pass the station mints when it announces a call (a MAC
over the day, the number and the room) and sends only to the kiosk's own page and /display;
the number must also be in today's queue; and the cache is bounded (``queue.voice_cache_mb``)
and pruned by age. Built with the station's own wiring (bootstrap.build_calling: espeak-ng,
the pass key derived from the station key, the configured bound).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.web.voice_kiosk import voice_station

ATTEMPTS = 10_000


@pytest.fixture
def station(core, config):
    return voice_station(core, config)


def disk(directory: Path) -> dict[str, int]:
    return {str(p): p.stat().st_size for p in directory.rglob("*") if p.is_file()}


def test_n05_strangers_requests_add_nothing_to_the_disk(station, config):
    url = station.call_next()  # number 1, to room1
    assert station.client.get(url).status_code == 200  # the call itself is spoken: one file
    voice_dir = config.station.data_dir / "voice"
    assert len(list(voice_dir.glob("*.wav"))) == 1
    before = disk(config.station.data_dir)
    real_pass = parse_qs(urlsplit(url).query).get("k", ["none"])[0]
    forged = real_pass[:-1] + ("A" if real_pass[-1] != "A" else "B")
    stranger = station.client.application.test_client()
    for i in range(ATTEMPTS):
        number = 2 + i  # 2 was issued today but never called; the rest never issued
        path = (f"/voice/{number}/room1.wav", f"/voice/{number}/room1.wav?k={real_pass}",
                f"/voice/1/room1.wav?k={forged}", "/voice/1/room1.wav")[i % 4]
        status = stranger.get(path).status_code
        if i in (0, 9, 99) or i % 1000 == 999:  # an old station fails at the first check
            assert disk(config.station.data_dir) == before, f"{path} wrote to the disk"
        assert status == 404, (path, status)
    assert stranger.get(url).status_code == 200  # the pass works for whoever holds it...
    assert disk(config.station.data_dir) == before  # ...from the cache


def test_n05_a_pass_dies_with_the_day(station, config, clock):
    url = station.call_next()
    before = disk(config.station.data_dir)
    clock.advance(days=1)
    assert station.client.get(url).status_code == 404
    assert disk(config.station.data_dir) == before


def test_n05_only_the_speaking_screens_get_the_voice_url(station):
    """/display's stream (and the kiosk's own page) gets the call with its voice URL; any other
    stream gets the call without one."""
    listening = {name: station.listen(path) for name, path in (
        ("plain", "/events"), ("forged", "/events?display=guessed"), ("page", "/events?page=x"))}
    url = station.call_next()
    assert url.startswith("/voice/1/room1.wav?k=")
    for name, (thread, seen) in listening.items():
        thread.join(10)
        assert seen[0]["queue_no"] == 1 and seen[0]["audio"] == "", name


def test_n05_a_number_not_issued_today_is_not_rendered_even_with_a_pass(station, config):
    """Belt and braces: a pass the station itself minted (say, a call undone by a restore)
    renders nothing for a number today's queue does not hold."""
    before = disk(config.station.data_dir)
    given = station.calling.passes.mint(station.calling.queue.today(), 50, "room1")
    assert station.client.get(f"/voice/50/room1.wav?k={given}").status_code == 404
    assert disk(config.station.data_dir) == before
