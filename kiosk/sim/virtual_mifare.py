"""MIFARE Classic 1K as a PC/SC reader presents it (LOAD KEY, GENERAL AUTHENTICATE, READ and
UPDATE BINARY), with real sector trailers: each sector's key A, access bits and key B live
in its block 3, and the access conditions of the MIFARE Classic datasheet (MF1S50yyX, §8.7)
decide who may read and write each block and the trailer itself. So a card keyed with
transport keys (FF07 80 access: key A does everything, key B is readable and cannot
authenticate) behaves as one from the factory, and re-keying writes the trailer as on a real
card.
"""

from __future__ import annotations

TRANSPORT_ACCESS = bytes.fromhex("FF078069")
KIOSK_ACCESS = bytes.fromhex("78778869")  # data: read A|B, write B; trailer written with B
SW_OK = b"\x90\x00"
SW_AUTH_FAILED = b"\x63\x00"
SW_NOT_ALLOWED = b"\x69\x82"
SW_WRONG_LENGTH = b"\x67\x00"
SW_INS_NOT_SUPPORTED = b"\x6D\x00"
# data blocks: condition -> (who reads, who writes); "A"/"B" name the key types allowed
DATA = {"000": ("AB", "AB"), "010": ("AB", ""), "100": ("AB", "B"), "110": ("AB", "B"),
        "001": ("AB", ""), "011": ("B", "B"), "101": ("B", ""), "111": ("", "")}
# trailer: condition -> (key A written by, access bits written by, key B written by)
TRAILER = {"000": ("A", "", "A"), "010": ("", "", ""), "100": ("B", "", "B"),
           "110": ("", "", ""), "001": ("A", "A", "A"), "011": ("B", "B", "B"),
           "101": ("", "B", ""), "111": ("", "", "")}
KEY_B_READABLE = ("000", "010", "001")  # then key B cannot authenticate


def trailer_bytes(key_a: bytes, key_b: bytes) -> bytes:
    access = TRANSPORT_ACCESS if key_a == key_b == b"\xff" * 6 else KIOSK_ACCESS
    return key_a + access + key_b


def condition(access: bytes, block_in_sector: int) -> str:
    c1, c2, c3 = access[1] >> 4, access[2] & 0x0F, access[2] >> 4
    return "".join(str(c >> block_in_sector & 1) for c in (c1, c2, c3))


class MifareClassic:
    """The storage and the authentication state of one card (reset on power-on)."""

    def __init__(self, memory: bytearray, key_a: bytes, key_b: bytes):
        self.memory = memory
        for sector in range(16):
            at = (sector * 4 + 3) * 16
            if not any(memory[at:at + 16]):  # a card made before trailers were kept
                memory[at:at + 16] = trailer_bytes(key_a, key_b)
        self.reset()

    def reset(self) -> None:
        self.loaded: dict[int, bytes] = {}
        self.auth: tuple[int, str] | None = None  # (sector, "A" or "B")

    def trailer(self, sector: int) -> tuple[bytes, bytes, bytes]:
        at = (sector * 4 + 3) * 16
        block = bytes(self.memory[at:at + 16])
        return block[:6], block[6:10], block[10:]

    def respond(self, apdu: bytes) -> bytes:
        ins = apdu[1]
        if ins == 0x82 and len(apdu) == 11:
            self.loaded[apdu[3]] = bytes(apdu[5:11])
            return SW_OK
        if ins == 0x86 and len(apdu) == 10:
            return self._authenticate(apdu[7], "A" if apdu[8] == 0x60 else "B", apdu[9])
        if ins in (0xB0, 0xD6):
            return self._access(ins, apdu)
        return SW_INS_NOT_SUPPORTED

    def _authenticate(self, block: int, key_type: str, key_no: int) -> bytes:
        self.auth = None
        if block >= 64:
            return SW_AUTH_FAILED
        key_a, access, key_b = self.trailer(block // 4)
        if key_type == "B" and condition(access, 3) in KEY_B_READABLE:
            return SW_AUTH_FAILED
        if self.loaded.get(key_no) != (key_a if key_type == "A" else key_b):
            return SW_AUTH_FAILED
        self.auth = (block // 4, key_type)
        return SW_OK

    def _access(self, ins: int, apdu: bytes) -> bytes:
        block = apdu[3]
        if block >= 64 or not self.auth or self.auth[0] != block // 4 or block == 0:
            return SW_NOT_ALLOWED  # block 0 (the manufacturer's) stays as it is
        key_a, access, key_b = self.trailer(block // 4)
        if block % 4 == 3:
            return self._trailer(ins, apdu, block, access)
        read, write = DATA[condition(access, block % 4)]
        if ins == 0xB0:
            if self.auth[1] not in read:
                return SW_NOT_ALLOWED
            return bytes(self.memory[block * 16:(block + 1) * 16]) + SW_OK
        if self.auth[1] not in write:
            return SW_NOT_ALLOWED
        if len(apdu) != 21:
            return SW_WRONG_LENGTH
        self.memory[block * 16:(block + 1) * 16] = apdu[5:21]
        return SW_OK

    def _trailer(self, ins: int, apdu: bytes, block: int, access: bytes) -> bytes:
        """Reading a trailer shows no key; writing one changes what its condition allows."""
        if ins == 0xB0:
            return bytes(6) + access + bytes(6) + SW_OK
        if len(apdu) != 21:
            return SW_WRONG_LENGTH
        key_a_by, access_by, key_b_by = TRAILER[condition(access, 3)]
        who = self.auth[1] if self.auth else ""
        if who not in key_a_by:
            return SW_NOT_ALLOWED
        new, at = apdu[5:21], block * 16
        self.memory[at:at + 6] = new[:6]
        if who in access_by:
            self.memory[at + 6:at + 10] = new[6:10]
        if who in key_b_by:
            self.memory[at + 10:at + 16] = new[10:]
        return SW_OK
