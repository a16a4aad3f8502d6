"""The [queue] config section: rooms, the return rule and the voice."""

import pytest

from kiosk.config.loader import parse_config
from kiosk.errors import ConfigError


def parse(queue):
    return parse_config({"station": {"id": "st-1"}, "queue": queue})


def test_defaults_are_one_room_and_mandarin_voice():
    config = parse_config({"station": {"id": "st-1"}})
    assert config.queue.rooms == (("room1", "诊室1"),)
    assert (config.queue.return_after, config.queue.voice, config.queue.voice_lang) == (2, True, "cmn")
    assert config.queue.show_masked_name is False


def test_rooms_are_read_in_order():
    config = parse({"rooms": [{"id": "room1", "name": "诊室1"}, {"id": "lab", "name": "化验室"}],
                    "voice_lang": "en", "return_after": 3})
    assert config.queue.rooms == (("room1", "诊室1"), ("lab", "化验室"))
    assert (config.queue.voice_lang, config.queue.return_after) == ("en", 3)


@pytest.mark.parametrize("queue, key", [
    ({"rooms": [{"id": "Room 1", "name": "诊室1"}]}, "queue.rooms[0].id"),
    ({"rooms": [{"id": "a", "name": " "}]}, "queue.rooms[0].name"),
    ({"rooms": [{"id": "a"}]}, "queue.rooms[0]"),
    ({"rooms": [{"id": "a", "name": "x"}, {"id": "a", "name": "y"}]}, "queue.rooms"),
    ({"return_after": -1}, "queue.return_after"),
    ({"voice_lang": "fr"}, "queue.voice_lang"),
])
def test_bad_queue_values_name_the_key(queue, key):
    with pytest.raises(ConfigError) as caught:
        parse(queue)
    assert caught.value.key == key
