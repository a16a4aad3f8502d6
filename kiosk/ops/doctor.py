"""`kiosk doctor`: checks a technician can run on a station, each OK or FAIL with the fix."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.config.loader import Config
from kiosk.domain.trusted_time import EARLIEST, LOG_TOLERANCE
from kiosk.errors import KioskError


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    warn: bool = False  # ok, but worth fixing: printed as WARN, exit code unchanged


def run_checks(config: Config) -> Iterator[Check]:
    yield Check("config", True, str(config.source))
    yield from _check_key(config)
    yield from _check_database(config)
    yield from _check_clock(config)
    yield from _check_rtc(config)
    yield _check_sqlite()
    yield from _check_reader(config)
    from kiosk.ops.doctor_cards import check_card_keys  # its own module: the card keys
    yield from (Check(line.name, line.ok, line.detail, line.fix, line.warn)
                for line in check_card_keys(config))
    yield from _check_printer(config)
    yield from _check_health(config)
    yield from _check_screen(config)
    yield from _check_desk(config)


def _check_desk(config: Config) -> Iterator[Check]:
    """The desk's certificate and its fingerprint (to compare with what a browser shows)."""
    if not config.desk.enabled:
        yield Check("desk", True, "technician desk off (desk.enabled = false)")
        return
    from kiosk.adapters import desk_tls
    cert, _key = desk_tls.paths(config.station.data_dir, config.desk.cert_file,
                                config.desk.key_file)
    if not cert.exists():
        yield Check("desk certificate", False, f"{cert} does not exist yet",
                    "start the station once (it makes its own certificate), or set "
                    "desk.cert_file and desk.key_file to the county's")
        return
    try:
        certificate = desk_tls.load_certificate(cert)
        fingerprint = desk_tls.fingerprint(cert)
    except ValueError as exc:
        yield Check("desk certificate", False, f"{cert}: {exc}", "replace it with a PEM certificate")
        return
    expires = certificate.not_valid_after_utc
    soon = expires - dt.datetime.now(dt.UTC) < dt.timedelta(days=30)
    yield Check("desk certificate", not soon, f"https://{config.desk.host}:{config.desk.port}/staff/ "
                f"SHA-256 {fingerprint} (until {expires:%Y-%m-%d})",
                "renew it: delete the station's own pair and restart, or get a new one from the county")
    yield from _check_desk_trust(config, certificate)


def _check_desk_trust(config: Config, certificate) -> Iterator[Check]:
    """Finding N3: a desk certificate that could sign for any site, in use or still trusted."""
    from kiosk.adapters import desk_tls
    from kiosk.i18n import bilingual
    if desk_tls.unconstrained_ca(certificate):
        own = not (config.desk.cert_file and config.desk.key_file)
        yield Check("desk certificate", True, bilingual(
            "the desk certificate is a CA without name constraints: its key can sign for any "
            "site"), bilingual("restart the station: it replaces its own certificate with one "
                               "limited to its names") if own else
            bilingual("ask the county for a certificate limited to this station's names, or "
                      "remove desk.cert_file and desk.key_file"), warn=True)
    old = config.station.data_dir / desk_tls.OLD_CERT_NAME
    if old.exists():
        yield Check("desk certificate", True, bilingual(
            "the old desk certificate (SHA-256 {fingerprint}) could sign for any site",
            fingerprint=desk_tls.fingerprint(old)), bilingual(
            "remove it from the trusted certificates of every desk PC, trust the new one, "
            "then delete {path}", path=str(old)), warn=True)


def _check_screen(config: Config) -> Iterator[Check]:
    """The station counts the live streams its own touchscreen page keeps open (/healthz)."""
    if not config.ui.enabled:
        yield Check("touchscreen", True, "no touchscreen UI (ui.enabled = false)")
        return
    from kiosk.i18n import bilingual
    from kiosk.ops.screen_watch import screen_state
    host = "127.0.0.1" if config.ui.host in ("0.0.0.0", "::", "") else config.ui.host
    url = f"http://{f'[{host}]' if ':' in host else host}:{config.ui.port}/healthz"
    state = screen_state(url)
    if state is None:
        yield Check("touchscreen", False, bilingual("the station is not running") +
                    f": {url} does not answer", "sudo systemctl status kiosk; "
                    "journalctl -u kiosk -b (the station says why it stopped)")
    elif state[0] == 0:
        yield Check("touchscreen", False, bilingual("the touchscreen is not showing the kiosk") +
                    f" (no kiosk page connected for {state[1]:.0f} s)",
                    "sudo systemctl status kiosk-browser; journalctl -u kiosk-browser -b "
                    "(cage and Chromium say why); sudo systemctl restart kiosk-browser")
    else:
        yield Check("touchscreen", True, bilingual("showing the kiosk") +
                    f" ({state[0]} page(s), for {state[1]:.0f} s)")


def _check_health(config: Config) -> Iterator[Check]:
    from kiosk.adapters.health import DOCTOR_NAMES, HealthProbe
    probe = HealthProbe(config.station.data_dir)
    for finding in probe.findings():
        yield Check(DOCTOR_NAMES[finding.code], finding.ok, finding.detail, finding.fix)
    if not probe.is_raspberry_pi():
        yield Check("Raspberry Pi", True, "not a Raspberry Pi: power, watchdog, screen and "
                    "data partition not checked")


PRINTER_FIXES = {
    "paper_out": "load a new paper roll",
    "cover_open": "close the printer cover",
    "offline": "check the printer's power and cable (or printer.host / printer.path)",
    "no_answer": "the printer does not answer status queries: power-cycle it",
}


def _check_printer(config: Config) -> Iterator[Check]:
    if config.printer.kind == "none":
        yield Check("printer", True, "none configured")
        return
    from kiosk.bootstrap import build_printer
    state = build_printer(config).status().value
    yield Check("printer", state == "ready", f"{config.printer.kind}: {state}",
                PRINTER_FIXES.get(state, ""))


def _check_key(config: Config) -> Iterator[Check]:
    from kiosk.keys import load_key_file
    try:
        key = load_key_file(config.station.key_file)
        yield Check("station key", True, f"{config.station.key_file} (fingerprint {key.fingerprint()})")
    except KioskError as exc:
        yield Check("station key", False, str(exc), "see the message; kiosk keygen creates a key")


def _check_database(config: Config) -> Iterator[Check]:
    from kiosk.store.database import (
        active_technicians,
        connect_readonly,
        integrity,
        pending_migrations,
        technicians_without_pin,
    )
    if not config.station.database.exists():
        yield Check("database", False, f"{config.station.database} does not exist",
                    "start the station once (kiosk serve) to create it")
        return
    try:
        db = connect_readonly(config.station.database)
        result = integrity(db)
        pending = pending_migrations(db)
        technicians, short_pins = (0, 0) if pending else active_technicians(db)
        no_pin = [] if pending else technicians_without_pin(db)
    except Exception as exc:  # a broken file must become a FAIL line, not a traceback
        yield Check("database", False, f"{config.station.database}: {exc}",
                    "restore the database from backup; keep the damaged file for inspection")
        return
    yield Check("database integrity", result == "ok", f"{config.station.database}: {result}",
                "stop the station, copy the file aside and restore from backup")
    yield Check("database schema", not pending, "up to date" if not pending else
                f"pending migrations: {', '.join(pending)}", "start the station to migrate")
    if not pending:
        yield Check("technicians", technicians > 0, f"{technicians} active",
                    "add the first one: kiosk technician add --name NAME")
        if no_pin:
            yield Check("technician PINs", True, f"{len(no_pin)} without a PIN since the restore "
                        f"({', '.join(no_pin)})", "kiosk technician set-pin ID for each, at the "
                        "console with the technician present", warn=True)
        if short_pins:
            yield Check("technician PINs", True, f"{short_pins} set before 6-digit PINs",
                        "kiosk technician list, then kiosk technician set-pin ID for each "
                        "(4-digit PINs work until changed)", warn=True)


def _check_sqlite() -> Check:
    """The library's version, OK with the reason: the station has one writer per database, and
    a fixed version (3.51.3, 3.50.7, 3.44.6) would be safe even without that."""
    from kiosk.store.database import sqlite_status
    return Check("SQLite", True, sqlite_status())


def _check_clock(config: Config, root: Path = Path("/"), base=None) -> Iterator[Check]:
    """Who vouches for the station's time (kiosk.domain.trusted_time), judged as the running
    station judges it: the same sources, this boot's settings and the log's newest event
    (``root`` and ``base``, the machine's clock, are the tests')."""
    from kiosk.adapters.station_clock import NTP_FLAG, RTC_DIR, StationClock
    from kiosk.bootstrap import build_clock
    from kiosk.i18n import bilingual
    from kiosk.store.clock_log import clock_settings, newest_stamp
    from kiosk.store.database import connect_readonly
    built = build_clock(config)
    clock = StationClock(base or built.base, checked=built.checked,
                         ntp_flag=root / NTP_FLAG.relative_to("/"),
                         rtc_dir=root / RTC_DIR.relative_to("/"))
    if config.station.database.exists():
        db = connect_readonly(config.station.database)
        try:
            clock.remember(newest_stamp(db), clock_settings(db, clock.boot_id()))
        finally:
            db.conn.close()
    clock.look_at_rtc()
    reading, system = clock.reading(), clock.base.now()
    shown = f"{reading.now.astimezone(ZoneInfo(config.station.timezone)):%Y-%m-%d %H:%M}"
    if not reading.is_set:
        yield Check("clock", False, bilingual("not set: no network time, county time, battery "
                                              "clock or technician's setting in this boot") +
                    f" ({shown}?)", bilingual("a technician logs in on the touchscreen and sets "
                                              "the date and time (it asks); or connect the "
                                              "network for NTP"))
        return
    off = (reading.now - system).total_seconds()
    if abs(off) > LOG_TOLERANCE.total_seconds():
        yield Check("clock", True, f"{shown} ({reading.source}); " +
                    bilingual("the system clock is {minutes} minutes off: the station keeps "
                              "the difference itself", minutes=round(off / 60)),
                    bilingual("the system clock could not be set: check "
                              "/etc/polkit-1/rules.d/51-kiosk-clock.rules and "
                              "journalctl -u systemd-timedated"), warn=True)
        return
    yield Check("clock", True, f"{shown} ({reading.source})")


def _check_rtc(config: Config, root: Path = Path("/")) -> Iterator[Check]:
    """A battery RTC where one is fitted: does it hold a time, and does it agree."""
    from kiosk.adapters.station_clock import RTC_DIR, read_rtc
    from kiosk.i18n import bilingual
    fitted, when = read_rtc(root / RTC_DIR.relative_to("/"))
    if not fitted:
        yield Check("battery clock", True, bilingual("none fitted: after a power cut offline "
                                                     "the time must be set by hand"),
                    bilingual("fit a DS3231 on I2C (setup.sh install --rtc ds3231) or use a "
                              "Pi 5 with its RTC battery"))
        return
    if when is None or when < EARLIEST:
        yield Check("battery clock", False, bilingual("fitted but holds no time (its battery "
                                                      "is flat, or it was never set)"),
                    bilingual("replace its battery, then let NTP or a technician set the time "
                              "(timedated writes it to the battery clock too)"))
        return
    off = (when - dt.datetime.now(dt.UTC)).total_seconds()
    if abs(off) > LOG_TOLERANCE.total_seconds():
        yield Check("battery clock", True, f"{when:%Y-%m-%d %H:%M} UTC, " +
                    bilingual("{minutes} minutes off the system clock", minutes=round(off / 60)),
                    bilingual("set the time once (NTP or the touchscreen); timedated writes it "
                              "to the battery clock"), warn=True)
        return
    yield Check("battery clock", True, f"{when:%Y-%m-%d %H:%M:%S} UTC")


def _check_reader(config: Config) -> Iterator[Check]:
    if config.reader.kind != "pcsc":
        yield Check("card reader", True, f"{config.reader.kind} reader (no PC/SC)")
        return
    if config.reader.pcscd_socket:
        os.environ["PCSCLITE_CSOCK_NAME"] = config.reader.pcscd_socket
    try:
        from smartcard import scard
    except ImportError as exc:
        yield Check("pcscd", False, f"pyscard missing ({exc})", "reinstall the kiosk package")
        return
    hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hr != 0:
        yield Check("pcscd", False, "reader service unavailable: " + scard.SCardGetErrorMessage(hr),
                    "sudo systemctl restart pcscd; sudo apt-get install pcscd libccid")
        return
    yield Check("pcscd", True, "reader service running")
    hr, readers = scard.SCardListReaders(ctx, [])
    scard.SCardReleaseContext(ctx)
    named = [f"{r} ({config.reader.role(r)})" for r in readers] if config.reader.roles else readers
    yield Check("card readers", bool(readers), ", ".join(named) if readers else "none found",
                "plug in the USB card reader; for ACR122U blacklist the pn533 kernel driver")
