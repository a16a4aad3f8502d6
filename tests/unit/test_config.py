import pytest

from kiosk.config.loader import load_config, parse_config
from kiosk.errors import ConfigError


def test_minimal_config_has_defaults(tmp_path):
    config = parse_config({"station": {"id": "station-01"}}, base=tmp_path)
    assert config.station.timezone == "Asia/Shanghai" and config.reader.kind == "pcsc"
    assert str(config.station.database) == "/var/lib/kiosk/kiosk.db"


@pytest.mark.parametrize("raw,key,fix", [
    ({}, "station.id", "add id"),
    ({"station": {"id": "Bad Id!"}}, "station.id", "lowercase"),
    ({"station": {"id": "st-1", "timezone": "Mars/Base"}}, "station.timezone", "Asia/Shanghai"),
    ({"station": {"id": "st-1"}, "reader": {"kind": "usb"}}, "reader.kind", "pcsc"),
    ({"station": {"id": "st-1"}, "reader": {"knd": "pcsc"}}, "reader.knd", "did you mean 'kind'"),
    ({"station": {"id": "st-1"}, "printr": {}}, "[printr]", "did you mean 'printer'"),
    ({"station": {"id": "st-1"}, "printer": {"kind": "network"}}, "printer.host", "host ="),
    ({"station": {"id": "st-1"}, "printer": {"port": "9100"}}, "printer.port", "fix its value"),
    ({"station": {"id": "st-1"}, "signals": {"buzzer_pin": 40}}, "signals.buzzer_pin", "2 to 27"),
    ({"station": {"id": "st-1"}, "signals": {"buzzer_pin": 17}}, "signals", "its own pin"),
    ({"station": {"id": "st-1"}, "cards": {"mifare_key_a": "FFFF"}}, "cards.mifare_key_a",
     "A0A1A2A3A4A5"),
    ({"station": {"id": "st-1"}, "cards": {"aid": "zz"}}, "cards.aid", "F04B494F534B01"),
    ({"station": {"id": "st-1"}, "cards": {"trusted_issuers": {"st-2": "abc"}}},
     "cards.trusted_issuers.st-2", "kiosk keygen"),
    ({"station": {"id": "st-1"}, "staff": {"idle_logout_seconds": 5}},
     "staff.idle_logout_seconds", "120"),
    ({"station": {"id": "st-1"}, "reader": {"roles": {"ACS": "office"}}},
     "reader.roles.'ACS'", '"desk"'),
    ({"station": {"id": "st-1"}, "desk": {"cert_file": "desk.pem"}}, "desk.key_file", "both"),
    ({"station": {"id": "st-1"}, "desk": {"sessions": 0}}, "desk.sessions", "3"),
    ({"station": {"id": "st-1"}, "desk": {"idle_logout_seconds": 10}},
     "desk.idle_logout_seconds", "900"),
    ({"station": {"id": "st-1"}, "desk": {"port": 70000}}, "desk.port", "8443"),
])
def test_errors_name_the_key_and_the_fix(raw, key, fix):
    with pytest.raises(ConfigError) as info:
        parse_config(raw)
    assert info.value.key == key and fix in info.value.fix


def test_broken_toml_names_the_file(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text("[station\nid = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "none.toml")


def test_each_toml_key_is_a_field_of_its_section():
    """The sections are named as the TOML tables and their fields as the keys, so a new key is
    one SCHEMA entry plus one field with its default."""
    import dataclasses

    from kiosk.config.loader import DEFAULTS, SCHEMA
    for section, keys in SCHEMA.items():
        fields = {f.name for f in dataclasses.fields(getattr(DEFAULTS, section))}
        assert set(keys) <= fields, (section, set(keys) - fields)


def test_a_section_can_be_replaced():
    from dataclasses import replace
    config = parse_config({"station": {"id": "st-1"}, "printer": {"paper_mm": 58}})
    wider = replace(config, printer=replace(config.printer, paper_mm=80))
    assert (wider.printer.paper_mm, config.printer.paper_mm, wider.station) == (80, 58, config.station)


def test_the_desk_is_off_by_default_and_readers_are_kiosk_readers(tmp_path):
    config = parse_config({"station": {"id": "station-01"}}, base=tmp_path)
    assert not config.desk.enabled and config.desk.idle_logout_seconds == 900
    assert config.desk.sessions == 3 and config.desk.cert_file is None
    assert config.reader.role("ACS ACR122U PICC Interface 00 00") == "kiosk"
    assert not config.reader.has_desk_reader


def test_reader_roles_match_names_and_prefixes_longest_first(tmp_path):
    config = parse_config({"station": {"id": "station-01"}, "reader": {"roles": {
        "ACS ACR122U": "desk", "ACS ACR122U PICC Interface 01": "kiosk"}},
        "desk": {"enabled": True, "cert_file": "c.pem", "key_file": "k.pem"}}, base=tmp_path)
    assert config.reader.role("ACS ACR122U PICC Interface 00 00") == "desk"
    assert config.reader.role("ACS ACR122U PICC Interface 01 00") == "kiosk"
    assert config.reader.role("Identiv uTrust 3700 F") == "kiosk"
    assert config.desk.cert_file == tmp_path / "c.pem" and config.reader.has_desk_reader
