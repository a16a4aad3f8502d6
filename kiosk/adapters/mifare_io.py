"""The card record on MIFARE Classic 1K, through the PC/SC part 3 storage-card commands: LOAD
KEY ``FF 82``, GENERAL AUTHENTICATE ``FF 86``, READ BINARY ``FF B0``, UPDATE BINARY ``FF D6``.

The record lives in the data blocks of sectors 1 to 3. With the county's MIFARE master (the
card key file) every card gets its own sector keys at issuance, diversified from the master
by its UID and the sector (kiosk.adapters.card_access), and the trailers' access bits
``78 77 88``: key A reads, key B writes. Cards that still carry fixed keys (the transport key
``FFFFFFFFFFFF``, or ``cards.mifare_key_a/b``) are read with those and re-keyed on their next
tap. Crypto-1 stays broken: diversified keys stop a reader with the default key, not an
attack on the cipher (docs/security.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from kiosk.adapters.card_access import CardAccess
from kiosk.domain.card_records import MAX_FRAMED, unframe
from kiosk.errors import CardIOError

log = logging.getLogger(__name__)
Transmit = Callable[[bytes], bytes]
RECORD_BLOCKS = (4, 5, 6, 8, 9, 10, 12, 13, 14)
SECTORS = (1, 2, 3)
KIOSK_ACCESS = bytes.fromhex("78778869")
OK = b"\x90\x00"
KEY_A, KEY_B = 0x60, 0x61


def call(transmit: Transmit, apdu: bytes, step: str) -> bytes:
    """One APDU: its data, or CardIOError naming ``step`` (with the status word when the card
    answered one other than 90 00)."""
    response = transmit(apdu)
    if len(response) < 2:
        raise CardIOError(step)
    if response[-2:] != OK:
        raise CardIOError(step, response[-2:])
    return response[:-2]


def authenticate(transmit: Transmit, block: int, key: bytes, key_type: int) -> None:
    call(transmit, b"\xFF\x82\x00\x00\x06" + key, "load key")
    call(transmit, bytes([0xFF, 0x86, 0x00, 0x00, 0x05, 0x01, 0x00, block, key_type, 0x00]),
          "authenticate")


def _tries(transmit: Transmit, block: int, key: bytes, key_type: int) -> bool:
    """Authenticate; False when the card refuses the key (another error still raises)."""
    try:
        authenticate(transmit, block, key, key_type)
    except CardIOError as exc:
        if exc.step == "authenticate" and exc.sw:
            return False
        raise
    return True


def sector_keys(uid: bytes, access: CardAccess, sector: int, legacy: bool) -> tuple[bytes, bytes]:
    diversified = None if legacy else access.mifare_keys(uid, sector)
    return diversified or (access.keys.mifare_key_a, access.keys.mifare_key_b)


def _read_blocks(transmit: Transmit, uid: bytes, access: CardAccess, legacy: bool) -> bytes:
    data, sector = b"", None
    for block in RECORD_BLOCKS:
        if block // 4 != sector:
            sector = block // 4
            authenticate(transmit, block, sector_keys(uid, access, sector, legacy)[0], KEY_A)
        data += call(transmit, bytes([0xFF, 0xB0, 0x00, block, 0x10]), "read block")
        if len(data) == 16 and unframe(data + b"\x00" * MAX_FRAMED) is None:
            return data  # blank: no need to read on
        if len(data) >= 2 and len(data) >= int.from_bytes(data[:2], "big") + 2:
            break
    return data


def read(transmit: Transmit, uid: bytes, access: CardAccess) -> bytes | None:
    """The framed storage of a kiosk card, or None for a card keyed for another system.
    A card still on fixed keys is re-keyed now when the station holds the master and
    ``cards.rekey`` is on (only a kiosk card: one that holds a record)."""
    legacy = True
    if access.mifare_keys(uid, 1) and _tries(transmit, 4, sector_keys(uid, access, 1, False)[0],
                                             KEY_A):
        legacy = False
    elif not _tries(transmit, 4, access.keys.mifare_key_a, KEY_A):
        return None
    data = _read_blocks(transmit, uid, access, legacy)
    if legacy and access.rekey and access.mifare_master and unframe(data + bytes(MAX_FRAMED)):
        try:
            rekey(transmit, uid, access)
            log.info("MIFARE Classic card re-keyed from its fixed keys to its own")
        except CardIOError as exc:
            log.warning("MIFARE Classic card could not be re-keyed: %s", exc)
    return data


def rekey(transmit: Transmit, uid: bytes, access: CardAccess) -> None:
    """Give sectors 1-3 their diversified keys and the kiosk's access bits, from whatever
    fixed keys they carry (key B where the card lets it write the trailer, else key A)."""
    for sector in SECTORS:
        old_a, old_b = sector_keys(uid, access, sector, True)
        new_a, new_b = sector_keys(uid, access, sector, False)
        trailer = bytes([0xFF, 0xD6, 0x00, sector * 4 + 3, 0x10]) + new_a + KIOSK_ACCESS + new_b
        for key, key_type in ((old_b, KEY_B), (old_a, KEY_A)):
            if _tries(transmit, sector * 4, key, key_type) and transmit(trailer)[-2:] == OK:
                break
        else:
            raise CardIOError("re-key sector", b"\x69\x82")


def personalise(transmit: Transmit, uid: bytes, access: CardAccess) -> None:
    """At issuance: the card's own sector keys, unless it has them already."""
    if not access.mifare_master:
        return
    if _tries(transmit, 4, sector_keys(uid, access, 1, False)[0], KEY_A):
        return
    rekey(transmit, uid, access)


def write(transmit: Transmit, uid: bytes, framed: bytes, access: CardAccess) -> None:
    """Write a framed record with key B (key A where a factory card keeps key B readable:
    its transport access bits let key A write; otherwise key B was the one that failed)."""
    padded = framed + b"\x00" * (-len(framed) % 16)
    sector, with_a = None, False
    for n, block in enumerate(RECORD_BLOCKS[:len(padded) // 16]):
        if block // 4 != sector:
            sector = block // 4
            key_a, key_b = sector_keys(uid, access, sector, False)
            with_a = not _tries(transmit, block, key_b, KEY_B)
            if with_a and not _tries(transmit, block, key_a, KEY_A):
                raise CardIOError("authenticate", b"\x63\x00")
        response = transmit(bytes([0xFF, 0xD6, 0x00, block, 0x10]) + padded[n * 16:(n + 1) * 16])
        if response[-2:] != OK:
            raise CardIOError("authenticate" if with_a else "write block", response[-2:])
