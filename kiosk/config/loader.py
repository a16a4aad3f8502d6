"""The one TOML config file, validated at start with errors that name the key and the fix.

Default path /etc/kiosk/kiosk.toml; ``--config`` or KIOSK_CONFIG override it.
docs/configuration.md lists every key.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.config.cards import KIOSK_AID, KIOSK_FILE_ID, TRANSPORT_KEY, CardKeys
from kiosk.config.cards import cards_section as _cards
from kiosk.errors import ConfigError
from kiosk.protocol.sync import STATION_ID

DEFAULT_PATH = Path("/etc/kiosk/kiosk.toml")
DEFAULT_PINS = {"ready_pin": 17, "attention_pin": 27, "buzzer_pin": 22}  # BCM numbers
ROOM_ID = re.compile(r"^[a-z0-9-]{1,32}$")
VPCD_PORT = 35963  # vpcd's first reader slot, as Debian's vsmartcard-vpcd sets it up

SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "station": {"id": str, "name": str, "timezone": str, "data_dir": str, "database": str,
                "key_file": str},
    "reader": {"kind": str, "readers": list, "pcscd_socket": str, "vpcd_port": int},
    "printer": {"kind": str, "host": str, "port": int, "path": str, "paper_mm": int,
                "vendor_id": int, "product_id": int, "baudrate": int,
                "charset": str, "font": str, "show_service_names": bool, "reprint_seconds": int},
    "signals": {"kind": str, "ready_pin": int, "attention_pin": int, "buzzer_pin": int,
                "button_pin": int},
    "county": {"url": str, "public_key": str, "ca_bundle": str},
    "ui": {"enabled": bool, "host": str, "port": int, "idle_seconds": int,
           "show_service_names": bool},
    "care": {"plans_file": str},
    "cards": {"legacy_uid_only": bool, "mifare_key_a": str, "mifare_key_b": str, "aid": str,
              "file_id": str, "trusted_issuers": dict},
    "staff": {"idle_logout_seconds": int},
    "queue": {"rooms": list, "return_after": int, "show_masked_name": bool, "voice": bool,
              "voice_lang": str},
    "log": {"level": str},
}
CHOICES = {
    ("reader", "kind"): ("pcsc", "fake"),
    ("printer", "kind"): ("none", "network", "usb", "serial", "file", "memory"),
    ("printer", "paper_mm"): (58, 80),
    ("printer", "charset"): ("gb18030", "gbk", "gb2312", "ascii"),
    ("signals", "kind"): ("none", "gpio", "mock"),
    ("log", "level"): ("DEBUG", "INFO", "WARNING", "ERROR"),
    ("queue", "voice_lang"): ("cmn", "en"),
}


@dataclass(frozen=True)
class Config:
    station_id: str
    station_name: str = "卫生服务站"
    timezone: str = "Asia/Shanghai"
    data_dir: Path = Path("/var/lib/kiosk")
    database: Path = Path("/var/lib/kiosk/kiosk.db")
    key_file: Path = Path("/var/lib/kiosk/station.key")
    reader_kind: str = "pcsc"
    reader_filter: tuple[str, ...] = ()
    pcscd_socket: str = ""
    vpcd_port: int = VPCD_PORT
    printer_kind: str = "none"
    printer_host: str = ""
    printer_port: int = 9100
    printer_path: str = ""
    usb_ids: tuple[int, int] = (0, 0)
    baudrate: int = 9600
    paper_mm: int = 58
    printer_charset: str = "gb18030"
    printer_font: str = ""
    show_service_names: bool = False
    reprint_seconds: int = 120  # the button reprints only the last check-in's receipt, this soon
    signals_kind: str = "none"
    pins: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PINS))
    county_url: str = ""
    county_public_key: str = ""  # hex; acknowledgements must verify with it
    county_ca_bundle: str = ""
    ui_enabled: bool = True
    ui_host: str = "127.0.0.1"
    ui_port: int = 8080
    idle_seconds: int = 20
    ui_show_service_names: bool = False  # sensitive care-plan names on the public screen
    care_plans_file: Path | None = None  # None: the shipped example plans
    legacy_uid_only: bool = False
    mifare_key_a: bytes = TRANSPORT_KEY
    mifare_key_b: bytes = TRANSPORT_KEY
    card_aid: bytes = KIOSK_AID
    card_file_id: bytes = KIOSK_FILE_ID
    trusted_issuers: dict[str, str] = field(default_factory=dict)
    staff_idle_seconds: int = 120
    queue_rooms: tuple[tuple[str, str], ...] = (("room1", "诊室1"),)  # (id, name)
    queue_return_after: int = 2
    queue_show_masked_name: bool = False
    queue_voice: bool = True
    queue_voice_lang: str = "cmn"
    log_level: str = "INFO"
    source: Path | None = None

    @property
    def card_keys(self) -> CardKeys:
        """The keys, AID and file the reader and the virtual cards use for the record."""
        return CardKeys(self.mifare_key_a, self.mifare_key_b, self.card_aid, self.card_file_id)


DEFAULTS = Config(station_id="")  # each default is written once, in the dataclass above


def _county_key(county: dict[str, Any]) -> str:
    value = county.get("public_key", "")
    try:
        ok = not value or len(bytes.fromhex(value)) == 32
    except ValueError:
        ok = False
    if not ok:
        raise ConfigError("county.public_key", "must be 64 hex digits",
                          "copy it from `kiosk-county init` or the county IT officer")
    if county.get("url") and not value:
        raise ConfigError("county.public_key", "missing: acknowledgements cannot be checked",
                          "add public_key = \"...\" (kiosk-county init prints it)")
    return value


def _queue(queue: dict[str, Any]) -> dict[str, Any]:
    """The [queue] section: rooms ([[queue.rooms]] id, name), the return rule and voice."""
    rooms = []
    for i, room in enumerate(queue.get("rooms", [])):
        key = f"queue.rooms[{i}]"
        if not isinstance(room, dict) or set(room) != {"id", "name"}:
            raise ConfigError(key, "each room needs exactly id and name",
                              'write [[queue.rooms]] with id = "room1" and name = "诊室1"')
        if not (isinstance(room["id"], str) and ROOM_ID.match(room["id"])):
            raise ConfigError(f"{key}.id", f"{room['id']!r} is not a room id",
                              "use 1-32 lowercase letters, digits and dashes")
        if not (isinstance(room["name"], str) and room["name"].strip()):
            raise ConfigError(f"{key}.name", "must be a name to call out", 'e.g. name = "诊室1"')
        rooms.append((room["id"], room["name"].strip()))
    if len({r[0] for r in rooms}) != len(rooms):
        raise ConfigError("queue.rooms", "two rooms share one id", "give each room its own id")
    after = queue.get("return_after", DEFAULTS.queue_return_after)
    if not 0 <= after <= 50:
        raise ConfigError("queue.return_after", "must be 0 to 50 waiting entries",
                          f"the default is {DEFAULTS.queue_return_after}")
    return {"queue_rooms": tuple(rooms) or DEFAULTS.queue_rooms, "queue_return_after": after,
            "queue_show_masked_name": queue.get("show_masked_name",
                                                DEFAULTS.queue_show_masked_name),
            "queue_voice": queue.get("voice", DEFAULTS.queue_voice),
            "queue_voice_lang": queue.get("voice_lang", DEFAULTS.queue_voice_lang)}


def config_path(explicit: str | os.PathLike | None = None) -> Path:
    return Path(explicit or os.environ.get("KIOSK_CONFIG") or DEFAULT_PATH)


def load_config(path: str | os.PathLike) -> Config:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(path), "config file not found",
                          "create it (see docs/configuration.md) or pass --config") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"cannot read ({exc})", "check the file's permissions") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML: {exc}", "fix the syntax at that line") from exc
    return parse_config(raw, base=path.parent, source=path)


def _check_shape(raw: dict[str, Any]) -> None:
    for section, values in raw.items():
        if section not in SCHEMA:
            raise ConfigError(f"[{section}]", "unknown section", _suggest(section, SCHEMA))
        if not isinstance(values, dict):
            raise ConfigError(section, "must be a [section] table", f"write it as [{section}]")
        for key, value in values.items():
            kinds = SCHEMA[section]
            if key not in kinds:
                raise ConfigError(f"{section}.{key}", "unknown key", _suggest(key, kinds))
            if not isinstance(value, kinds[key]) or (isinstance(value, bool) and kinds[key] is not bool):
                raise ConfigError(f"{section}.{key}", f"must be {_type_name(kinds[key])}, "
                                  f"not {type(value).__name__}", "fix its value")
            if (section, key) in CHOICES and value not in CHOICES[(section, key)]:
                raise ConfigError(f"{section}.{key}", f"{value!r} is not allowed",
                                  "use one of: " + ", ".join(map(str, CHOICES[(section, key)])))


def _type_name(kind: type | tuple[type, ...]) -> str:
    return " or ".join(k.__name__ for k in kind) if isinstance(kind, tuple) else kind.__name__


def _suggest(word: str, known: dict) -> str:
    close = difflib.get_close_matches(word, list(known), n=1)
    return f"did you mean {close[0]!r}?" if close else "remove it; known: " + ", ".join(known)


def parse_config(raw: dict[str, Any], base: Path = Path("."), source: Path | None = None) -> Config:
    _check_shape(raw)
    station, reader = raw.get("station", {}), raw.get("reader", {})
    printer, signals = raw.get("printer", {}), raw.get("signals", {})
    if "id" not in station:
        raise ConfigError("station.id", "missing", 'add id = "your-station-id" under [station]')
    if not STATION_ID.match(station["id"]):
        raise ConfigError("station.id", f"{station['id']!r} is not a valid station id",
                          "use 3-64 lowercase letters, digits and dashes")
    timezone = station.get("timezone", DEFAULTS.timezone)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("station.timezone", f"unknown time zone {timezone!r}",
                          'use an IANA name such as "Asia/Shanghai"') from None
    data_dir = base / station.get("data_dir", str(DEFAULTS.data_dir))
    if printer.get("kind") == "network" and not printer.get("host"):
        raise ConfigError("printer.host", "missing for a network printer",
                          'add host = "192.0.2.10" under [printer] or set kind = "none"')
    ui = raw.get("ui", {})
    if not 1 <= ui.get("port", DEFAULTS.ui_port) <= 65535:
        raise ConfigError("ui.port", f"{ui['port']} is not a TCP port", "use 1-65535, e.g. 8080")
    if not 3 <= ui.get("idle_seconds", DEFAULTS.idle_seconds) <= 600:
        raise ConfigError("ui.idle_seconds", "must be 3 to 600 seconds",
                          f"the default is {DEFAULTS.idle_seconds}")
    if not 10 <= printer.get("reprint_seconds", DEFAULTS.reprint_seconds) <= 3600:
        raise ConfigError("printer.reprint_seconds", "must be 10 to 3600 seconds",
                          f"the default is {DEFAULTS.reprint_seconds}")
    if printer.get("kind") in ("file", "serial") and not printer.get("path"):
        raise ConfigError("printer.path", f"missing for a {printer['kind']} printer",
                          'add path = "/dev/usb/lp0" (file) or "/dev/ttyUSB0" (serial)')
    if printer.get("kind") == "usb" and not ("vendor_id" in printer and "product_id" in printer):
        raise ConfigError("printer.vendor_id", "a USB printer needs vendor_id and product_id",
                          "add vendor_id = 0x0416 and product_id = 0x5011 (see lsusb)")
    for key in ("ready_pin", "attention_pin", "buzzer_pin", "button_pin"):
        if key in signals and not 2 <= signals[key] <= 27 and not (key == "button_pin"
                                                                    and signals[key] == 0):
            raise ConfigError(f"signals.{key}", f"GPIO {signals[key]} does not exist",
                              "use a BCM GPIO number from 2 to 27")
    pins = {**DEFAULT_PINS,
            **{k: v for k, v in signals.items() if k.endswith("_pin")}}
    used = [pin for pin in pins.values() if pin]
    if len(set(used)) != len(used):
        raise ConfigError("signals", "two signals share one GPIO pin", "give each its own pin")
    cards = _cards(raw.get("cards", {}))
    idle_logout = raw.get("staff", {}).get("idle_logout_seconds", DEFAULTS.staff_idle_seconds)
    if not 30 <= idle_logout <= 3600:
        raise ConfigError("staff.idle_logout_seconds", "must be 30 to 3600 seconds",
                          f"the default is {DEFAULTS.staff_idle_seconds}")
    return Config(
        **cards, **_queue(raw.get("queue", {})), staff_idle_seconds=idle_logout,
        station_id=station["id"], station_name=station.get("name", DEFAULTS.station_name),
        timezone=timezone, data_dir=data_dir,
        database=base / station.get("database", str(data_dir / "kiosk.db")),
        key_file=base / station.get("key_file", str(data_dir / "station.key")),
        reader_kind=reader.get("kind", DEFAULTS.reader_kind),
        reader_filter=tuple(str(r) for r in reader.get("readers", [])),
        pcscd_socket=reader.get("pcscd_socket", DEFAULTS.pcscd_socket),
        vpcd_port=reader.get("vpcd_port", DEFAULTS.vpcd_port),
        printer_kind=printer.get("kind", DEFAULTS.printer_kind),
        printer_host=printer.get("host", DEFAULTS.printer_host),
        printer_port=printer.get("port", DEFAULTS.printer_port),
        printer_path=printer.get("path", DEFAULTS.printer_path),
        usb_ids=(printer.get("vendor_id", DEFAULTS.usb_ids[0]),
                 printer.get("product_id", DEFAULTS.usb_ids[1])),
        baudrate=printer.get("baudrate", DEFAULTS.baudrate),
        paper_mm=printer.get("paper_mm", DEFAULTS.paper_mm),
        printer_charset=printer.get("charset", DEFAULTS.printer_charset),
        printer_font=printer.get("font", DEFAULTS.printer_font),
        show_service_names=printer.get("show_service_names", DEFAULTS.show_service_names),
        reprint_seconds=printer.get("reprint_seconds", DEFAULTS.reprint_seconds),
        signals_kind=signals.get("kind", DEFAULTS.signals_kind),
        pins=pins, county_url=raw.get("county", {}).get("url", DEFAULTS.county_url),
        county_public_key=_county_key(raw.get("county", {})),
        county_ca_bundle=raw.get("county", {}).get("ca_bundle", DEFAULTS.county_ca_bundle),
        log_level=raw.get("log", {}).get("level", DEFAULTS.log_level), source=source,
        ui_enabled=ui.get("enabled", DEFAULTS.ui_enabled), ui_host=ui.get("host", DEFAULTS.ui_host),
        ui_port=ui.get("port", DEFAULTS.ui_port),
        idle_seconds=ui.get("idle_seconds", DEFAULTS.idle_seconds),
        ui_show_service_names=ui.get("show_service_names", DEFAULTS.ui_show_service_names),
        care_plans_file=(base / raw["care"]["plans_file"]
                         if raw.get("care", {}).get("plans_file") else None),
    )
