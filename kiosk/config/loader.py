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

from kiosk.config.cards import CardsSection, cards_section
from kiosk.config.county import CountySection, check_county
from kiosk.config.desk import DeskSection, desk_section, reader_roles
from kiosk.config.roster import RosterSection, roster_section
from kiosk.errors import ConfigError
from kiosk.i18n import bilingual
from kiosk.protocol.sync import STATION_ID

DEFAULT_PATH = Path("/etc/kiosk/kiosk.toml")
ROOM_ID = re.compile(r"^[a-z0-9-]{1,32}$")
VPCD_PORT = 35963  # vpcd's first reader slot, as Debian's vsmartcard-vpcd sets it up
MAX_NESTING = 16  # arrays and inline tables inside a value (the deepest key needs 2)

SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "station": {"id": str, "name": str, "timezone": str, "data_dir": str, "database": str,
                "key_file": str, "clock": str},
    "reader": {"kind": str, "readers": list, "pcscd_socket": str, "vpcd_port": int,
               "roles": dict},
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
              "file_id": str, "trusted_issuers": dict, "require_authenticated": bool,
              "desfire_key_file": str, "rekey": bool, "unverified_visitors": bool},
    "staff": {"idle_logout_seconds": int},
    "desk": {"enabled": bool, "host": str, "port": int, "cert_file": str, "key_file": str,
             "idle_logout_seconds": int, "sessions": int},
    "queue": {"rooms": list, "return_after": int, "show_masked_name": bool, "voice": bool,
              "voice_lang": str, "voice_cache_mb": int},
    "log": {"level": str},
    "roster": {"visitor_days": int},
}
CHOICES = {
    ("station", "clock"): ("auto", "checked", "trusted"),
    ("reader", "kind"): ("pcsc", "fake"),
    ("printer", "kind"): ("none", "network", "usb", "serial", "file", "memory"),
    ("printer", "paper_mm"): (58, 80),
    ("printer", "charset"): ("gb18030", "gbk", "gb2312", "ascii"),
    ("signals", "kind"): ("none", "gpio", "mock"),
    ("log", "level"): ("DEBUG", "INFO", "WARNING", "ERROR"),
    ("queue", "voice_lang"): ("cmn", "en"),
}


@dataclass(frozen=True)
class StationSection:
    """[station]: who the station is, the zone of its local day, where its files live."""

    id: str
    name: str = "卫生服务站"
    timezone: str = "Asia/Shanghai"
    data_dir: Path = Path("/var/lib/kiosk")
    database: Path = Path("/var/lib/kiosk/kiosk.db")
    key_file: Path = Path("/var/lib/kiosk/station.key")
    # "checked": nothing but NTP, the county, a battery RTC or a technician vouches for the
    # time (kiosk.domain.trusted_time); "trusted": the machine's clock as it is (a PC);
    # "auto": checked on a Raspberry Pi, trusted elsewhere
    clock: str = "auto"


@dataclass(frozen=True)
class ReaderSection:
    """[reader]: the card reader adapter and which PC/SC readers it may use."""

    kind: str = "pcsc"
    readers: tuple[str, ...] = ()  # only readers whose name contains one of these
    pcscd_socket: str = ""
    vpcd_port: int = VPCD_PORT
    roles: tuple[tuple[str, str], ...] = ()  # (reader name or prefix, "kiosk" | "desk")

    def role(self, reader: str) -> str:
        """A reader's role: the longest configured name or prefix it starts with, else kiosk."""
        matches = [(len(name), role) for name, role in self.roles if reader.startswith(name)]
        return max(matches)[1] if matches else "kiosk"

    @property
    def has_desk_reader(self) -> bool:
        return any(role == "desk" for _name, role in self.roles)


@dataclass(frozen=True)
class PrinterSection:
    """[printer]: the receipt printer adapter, its transport and its paper."""

    kind: str = "none"
    host: str = ""
    port: int = 9100
    path: str = ""
    vendor_id: int = 0
    product_id: int = 0
    baudrate: int = 9600
    paper_mm: int = 58
    charset: str = "gb18030"
    font: str = ""
    show_service_names: bool = False
    reprint_seconds: int = 120  # the button reprints only the last check-in's receipt, this soon

    @property
    def usb_ids(self) -> tuple[int, int]:
        """(vendor id, product id) as the USB transport takes them."""
        return self.vendor_id, self.product_id


@dataclass(frozen=True)
class SignalsSection:
    """[signals]: the lights, buzzer and button, by BCM GPIO number (button 0: none)."""

    kind: str = "none"
    ready_pin: int = 17
    attention_pin: int = 27
    buzzer_pin: int = 22
    button_pin: int = 0

    @property
    def pins(self) -> dict[str, int]:
        """The pins as the GPIO adapter takes them, by keyword."""
        return {"ready_pin": self.ready_pin, "attention_pin": self.attention_pin,
                "buzzer_pin": self.buzzer_pin, "button_pin": self.button_pin}


@dataclass(frozen=True)
class UiSection:
    """[ui]: the touchscreen server and how long a resident's screen stays up."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 8080
    idle_seconds: int = 20
    show_service_names: bool = False  # sensitive care-plan names on the public screen


@dataclass(frozen=True)
class CareSection:
    """[care]: the care-plan file; None means the shipped example plans."""

    plans_file: Path | None = None


@dataclass(frozen=True)
class StaffSection:
    """[staff]: how long a technician's idle session lasts."""

    idle_logout_seconds: int = 120


@dataclass(frozen=True)
class QueueSection:
    """[queue]: the rooms that call from the day's queue, the no-show return rule and the voice."""

    rooms: tuple[tuple[str, str], ...] = (("room1", "诊室1"),)  # (id, name), from [[queue.rooms]]
    return_after: int = 2
    show_masked_name: bool = False
    voice: bool = True
    voice_lang: str = "cmn"
    voice_cache_mb: int = 64  # the rendered calls kept on disk (kiosk.station.voice_cache)


@dataclass(frozen=True)
class LogSection:
    """[log]: the log level."""

    level: str = "INFO"


@dataclass(frozen=True)
class Config:
    """The whole file: one frozen section per TOML table, named as the table is.

    A key ``[printer] paper_mm`` is ``config.printer.paper_mm``; change one with
    ``replace(config, printer=replace(config.printer, paper_mm=80))``.
    """

    station: StationSection
    reader: ReaderSection = field(default_factory=ReaderSection)
    printer: PrinterSection = field(default_factory=PrinterSection)
    signals: SignalsSection = field(default_factory=SignalsSection)
    county: CountySection = field(default_factory=CountySection)
    ui: UiSection = field(default_factory=UiSection)
    care: CareSection = field(default_factory=CareSection)
    cards: CardsSection = field(default_factory=CardsSection)
    staff: StaffSection = field(default_factory=StaffSection)
    desk: DeskSection = field(default_factory=DeskSection)
    queue: QueueSection = field(default_factory=QueueSection)
    log: LogSection = field(default_factory=LogSection)
    roster: RosterSection = field(default_factory=RosterSection)
    source: Path | None = None  # the file it was read from


DEFAULTS = Config(StationSection(id=""))  # each default is written once, in the sections above


def _queue(queue: dict[str, Any]) -> QueueSection:
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
    after = queue.get("return_after", DEFAULTS.queue.return_after)
    if not 0 <= after <= 50:
        raise ConfigError("queue.return_after", "must be 0 to 50 waiting entries",
                          f"the default is {DEFAULTS.queue.return_after}")
    cache = queue.get("voice_cache_mb", DEFAULTS.queue.voice_cache_mb)
    if not 8 <= cache <= 1024:
        raise ConfigError("queue.voice_cache_mb", "must be 8 to 1024 MiB",
                          f"the default is {DEFAULTS.queue.voice_cache_mb} (about 150 calls)")
    return QueueSection(**{**queue, "rooms": tuple(rooms) or DEFAULTS.queue.rooms})


def config_path(explicit: str | os.PathLike | None = None) -> Path:
    return Path(explicit or os.environ.get("KIOSK_CONFIG") or DEFAULT_PATH)


def load_config(path: str | os.PathLike) -> Config:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        _check_nesting(text)
        raw = tomllib.loads(text)
    except FileNotFoundError:
        raise ConfigError(str(path), "config file not found",
                          "create it (see docs/configuration.md) or pass --config") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"cannot read ({exc})", "check the file's permissions") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML: {exc}", "fix the syntax at that line") from exc
    return parse_config(raw, base=path.parent, source=path)


def _check_nesting(text: str) -> None:
    """A value nested deeper than MAX_NESTING arrays or tables is refused before tomllib
    recurses into it (5,000 deep was a RecursionError of 2,999 lines, finding N13)."""
    depth, table, key, quote, line_no, line_start = 0, "", "", "", 1, 0
    for i, char in enumerate(text):
        if quote == "#":  # a comment runs to the end of its line
            quote = "" if char == "\n" else quote
        elif quote:  # inside a string: only its end matters (a backslash escapes in "...")
            quote = "" if char == quote and (quote == "'" or text[i - 1] != "\\") else quote
        elif char in "\"'#":
            quote = char
        elif char == "=" and depth == 0:
            key = text[line_start:i].strip()
        elif char in "[{" and depth == 0 and "=" not in text[line_start:i]:  # a [table] header
            table = text[i:text.find("\n", i) % (len(text) + 1)].strip("[] \r\n")
        elif char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                raise ConfigError(f"{table}.{key}" if table else key or f"line {line_no}",
                                  bilingual("a value nested more than {depth} arrays or tables "
                                            "deep (line {line})", depth=MAX_NESTING,
                                            line=line_no),
                                  bilingual("write the value flat, as docs/configuration.md "
                                            "shows it"))
        elif char in "]}" and depth:
            depth -= 1
        if char == "\n":
            line_no, line_start = line_no + 1, i + 1


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
    """The sections from the TOML tables: keys already checked by name and type are passed as
    they are, so each section's dataclass holds its defaults; paths are taken from ``base``."""
    _check_shape(raw)
    station, reader = raw.get("station", {}), raw.get("reader", {})
    printer, signals = raw.get("printer", {}), raw.get("signals", {})
    if "id" not in station:
        raise ConfigError("station.id", "missing", 'add id = "your-station-id" under [station]')
    if not STATION_ID.match(station["id"]):
        raise ConfigError("station.id", f"{station['id']!r} is not a valid station id",
                          "use 3-64 lowercase letters, digits and dashes")
    timezone = station.get("timezone", DEFAULTS.station.timezone)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("station.timezone", f"unknown time zone {timezone!r}",
                          'use an IANA name such as "Asia/Shanghai"') from None
    data_dir = base / station.get("data_dir", str(DEFAULTS.station.data_dir))
    if printer.get("kind") == "network" and not printer.get("host"):
        raise ConfigError("printer.host", "missing for a network printer",
                          'add host = "192.0.2.10" under [printer] or set kind = "none"')
    ui = raw.get("ui", {})
    if not 1 <= ui.get("port", DEFAULTS.ui.port) <= 65535:
        raise ConfigError("ui.port", f"{ui['port']} is not a TCP port", "use 1-65535, e.g. 8080")
    if not 3 <= ui.get("idle_seconds", DEFAULTS.ui.idle_seconds) <= 600:
        raise ConfigError("ui.idle_seconds", "must be 3 to 600 seconds",
                          f"the default is {DEFAULTS.ui.idle_seconds}")
    if not 10 <= printer.get("reprint_seconds", DEFAULTS.printer.reprint_seconds) <= 3600:
        raise ConfigError("printer.reprint_seconds", "must be 10 to 3600 seconds",
                          f"the default is {DEFAULTS.printer.reprint_seconds}")
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
    signals_section = SignalsSection(**signals)
    used = [pin for pin in signals_section.pins.values() if pin]
    if len(set(used)) != len(used):
        raise ConfigError("signals", "two signals share one GPIO pin", "give each its own pin")
    cards = cards_section(raw.get("cards", {}), base)
    staff = raw.get("staff", {})
    if not 30 <= staff.get("idle_logout_seconds", DEFAULTS.staff.idle_logout_seconds) <= 3600:
        raise ConfigError("staff.idle_logout_seconds", "must be 30 to 3600 seconds",
                          f"the default is {DEFAULTS.staff.idle_logout_seconds}")
    county = raw.get("county", {})
    check_county(county)
    care = raw.get("care", {})
    return Config(
        station=StationSection(**{
            **station, "data_dir": data_dir,
            "database": base / station.get("database", str(data_dir / "kiosk.db")),
            "key_file": base / station.get("key_file", str(data_dir / "station.key"))}),
        reader=ReaderSection(**{**reader, "readers": tuple(str(r) for r in reader.get("readers", [])),
                                "roles": reader_roles(reader)}),
        printer=PrinterSection(**printer), signals=signals_section,
        county=CountySection(**county), ui=UiSection(**ui),
        care=CareSection(base / care["plans_file"] if care.get("plans_file") else None),
        cards=cards, staff=StaffSection(**staff), desk=desk_section(raw.get("desk", {}), base), log=LogSection(**raw.get("log", {})),
        queue=_queue(raw.get("queue", {})), roster=roster_section(raw.get("roster", {})),
        source=source,
    )
