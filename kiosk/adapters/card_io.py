"""Reading and writing the kiosk's card record over any APDU transport.

Two card kinds carry a record:

* ISO 7816-4 CPU cards: SELECT the kiosk's AID, SELECT its elementary file,
  READ BINARY / UPDATE BINARY.
* MIFARE Classic 1K through the PC/SC part 3 storage-card commands of the
  reader: LOAD KEY ``FF 82``, GENERAL AUTHENTICATE ``FF 86``, READ BINARY
  ``FF B0``, UPDATE BINARY ``FF D6``. The record lives in the data blocks of
  sectors 1 to 3; key A reads, key B writes (both from the config).

Anything else is a UID-only card. The functions take a ``transmit`` callable
(APDU bytes in, response with status word out), so the PC/SC adapter, the
console tools and the tests all share them.
"""

from __future__ import annotations

from collections.abc import Callable

from kiosk.config.cards import CardKeys
from kiosk.domain.card_records import MAX_FRAMED, unframe
from kiosk.errors import CardIOError

Transmit = Callable[[bytes], bytes]
PCSC_RID = bytes.fromhex("A000000306")
MIFARE_CLASSIC = {b"\x00\x01", b"\x00\x02"}  # 1K and 4K in PC/SC part 3 card names
RECORD_BLOCKS = (4, 5, 6, 8, 9, 10, 12, 13, 14)
OK = b"\x90\x00"


def card_kind(atr: bytes) -> str:
    """'mifare' for MIFARE Classic, 'storage' for other PC/SC storage cards, else 'cpu'."""
    at = atr.find(PCSC_RID)
    if at >= 0 and len(atr) >= at + 8:
        return "mifare" if atr[at + 6:at + 8] in MIFARE_CLASSIC else "storage"
    return "cpu"


def _call(transmit: Transmit, apdu: bytes, step: str) -> bytes:
    response = transmit(apdu)
    if len(response) < 2:
        raise CardIOError(step)
    if response[-2:] != OK:
        raise CardIOError(step, response[-2:])
    return response[:-2]


def _mifare_auth(transmit: Transmit, block: int, key: bytes, key_type: int) -> None:
    _call(transmit, b"\xFF\x82\x00\x00\x06" + key, "load key")
    _call(transmit, bytes([0xFF, 0x86, 0x00, 0x00, 0x05, 0x01, 0x00, block, key_type, 0x00]),
          "authenticate")


def _mifare_read(transmit: Transmit, keys: CardKeys) -> bytes:
    data, sector = b"", None
    for block in RECORD_BLOCKS:
        if block // 4 != sector:
            sector = block // 4
            _mifare_auth(transmit, block, keys.mifare_key_a, 0x60)
        data += _call(transmit, bytes([0xFF, 0xB0, 0x00, block, 0x10]), "read block")
        if len(data) == 16 and unframe(data + b"\x00" * MAX_FRAMED) is None:
            return data  # blank: no need to read on
        if len(data) >= 2 and len(data) >= int.from_bytes(data[:2], "big") + 2:
            break
    return data


def _mifare_write(transmit: Transmit, keys: CardKeys, framed: bytes) -> None:
    padded = framed + b"\x00" * (-len(framed) % 16)
    sector = None
    for n, block in enumerate(RECORD_BLOCKS[:len(padded) // 16]):
        if block // 4 != sector:
            sector = block // 4
            _mifare_auth(transmit, block, keys.mifare_key_b, 0x61)
        _call(transmit, bytes([0xFF, 0xD6, 0x00, block, 0x10]) + padded[n * 16:(n + 1) * 16],
              "write block")


def _cpu_select(transmit: Transmit, keys: CardKeys) -> bool:
    """Select the kiosk application and its file; False if the card has no such application."""
    response = transmit(b"\x00\xA4\x04\x00" + bytes([len(keys.aid)]) + keys.aid + b"\x00")
    if response[-2:] in (b"\x6A\x82", b"\x6D\x00", b"\x6E\x00", b"\x6A\x86"):
        return False
    if response[-2:] != OK and response[-2:-1] != b"\x61":
        raise CardIOError("select application", response[-2:])
    _call(transmit, b"\x00\xA4\x02\x0C\x02" + keys.file_id, "select file")
    return True


def _cpu_read(transmit: Transmit) -> bytes:
    head = _call(transmit, b"\x00\xB0\x00\x00\x02", "read binary")
    length = int.from_bytes(head[:2], "big") if len(head) == 2 else 0
    if length == 0 or length > MAX_FRAMED - 2:
        return head
    return head + _call(transmit, bytes([0x00, 0xB0, 0x00, 0x02, length]), "read binary")


def read_record(transmit: Transmit, atr: bytes, keys: CardKeys) -> tuple[str, bytes | None]:
    """(kind, record or None) of the card in the field; CardIOError if it fails half-way."""
    kind = card_kind(atr)
    if kind == "storage":
        return "uid", None
    if kind == "mifare":
        try:
            return "mifare", unframe(_mifare_read(transmit, keys))
        except CardIOError as exc:
            if exc.step == "authenticate" and exc.sw:
                return "mifare", None  # keyed for another system: a UID-only card to us
            raise
    if not _cpu_select(transmit, keys):
        return "uid", None
    return "cpu", unframe(_cpu_read(transmit))


def write_record(transmit: Transmit, kind: str, framed: bytes, keys: CardKeys) -> None:
    """Write a framed record; the caller reads it back to be sure."""
    if kind == "mifare":
        _mifare_write(transmit, keys, framed)
    elif kind == "cpu":
        if not _cpu_select(transmit, keys):
            raise CardIOError("select application", b"\x6A\x82")
        for offset in range(0, len(framed), 128):
            chunk = framed[offset:offset + 128]
            _call(transmit, bytes([0x00, 0xD6, offset >> 8, offset & 0xFF, len(chunk)]) + chunk,
                  "update binary")
    else:
        raise CardIOError("write: this card has no kiosk storage")
