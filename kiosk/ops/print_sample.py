"""`kiosk print-test`: a sample receipt to the configured printer or to a capture printer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from kiosk.config.loader import Config
from kiosk.i18n import bilingual
from kiosk.ports import PrinterState, Receipt

SAMPLE = Receipt("示范卫生服务站 Demo Station", "2026-11-28 09:05", 8, "张*祥", "2026-12-01",
                 "TEST0001", ("测试打印 Test print: 𠮷 䶮 㛃",))


def enrolment_receipt(config: Config) -> Receipt:
    """The station's enrolment slip: id, key fingerprint and the code as a QR code."""
    import datetime as dt

    from kiosk.keys import enrolment_text, load_key_file
    key = load_key_file(config.station.key_file)
    fingerprint = key.fingerprint()
    from zoneinfo import ZoneInfo
    now = dt.datetime.now(ZoneInfo(config.station.timezone))
    return Receipt(config.station.name, now.strftime("%Y-%m-%d %H:%M"), 0, "",
                   None, config.station.id,
                   ("密钥指纹 Key fingerprint:", fingerprint[:19], fingerprint[20:],
                    *desk_fingerprint_lines(config)),
                   kind="enrolment", qr=enrolment_text(config.station.id, key.public_bytes()))


def desk_fingerprint_lines(config: Config) -> tuple[str, ...]:
    """The desk certificate's SHA-256 on the slip, 8 pairs a line (58 mm paper), if it has one."""
    if not config.desk.enabled:
        return ()
    from kiosk.adapters import desk_tls
    cert, _key = desk_tls.paths(config.station.data_dir, config.desk.cert_file,
                                config.desk.key_file)
    if not cert.exists():
        return ("办公桌证书：尚未生成 Desk certificate: not made yet",)
    pairs = desk_tls.fingerprint(cert).split(":")
    return ("办公桌证书 SHA-256 Desk certificate:",
            *(":".join(pairs[i:i + 8]) for i in range(0, len(pairs), 8)))


def print_sample(config: Config | None, save: Path | None = None,
                 charset: str = "gb18030", receipt: Receipt | None = None) -> Iterator[str]:
    receipt = receipt or SAMPLE
    if config is not None:
        from kiosk.bootstrap import build_printer
        state = build_printer(config).print_receipt(receipt)
        yield (bilingual("Test receipt printed") if state == PrinterState.READY
               else bilingual("Printer problem") + f": {state.value}")
        return
    from kiosk.adapters.escpos_decode import decode
    from kiosk.adapters.printers import NetworkEscposPrinter
    from kiosk.sim.capture_printer import CapturePrinter
    capture = CapturePrinter()
    try:
        from kiosk.adapters.escpos_render import PrinterProfile
        NetworkEscposPrinter(capture.host, capture.port,
                             profile=PrinterProfile(charset=charset)).print_receipt(receipt)
        deadline = time.monotonic() + 5
        while not capture.jobs and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        capture.close()
    printed = decode(capture.jobs[0])
    images = 0
    for kind, value in printed.items:
        if kind == "text":
            yield f"text   | {value}"
        elif kind == "image":
            images += 1
            yield f"raster | {value.size[0]}x{value.size[1]} dots"
            if save:
                save.mkdir(parents=True, exist_ok=True)
                value.save(save / f"line-{images:02d}.png")
        else:
            yield "cut    |"
