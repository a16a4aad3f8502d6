"""The project's virtual contactless card, speaking vpcd's protocol over TCP.

vsmartcard's ``vpcd`` pcscd driver listens on a TCP port per reader slot; a
virtual card "is placed" by connecting and "removed" by closing. Frames are a
2-byte big-endian length and a payload: a 1-byte payload is a control code
(0 power off, 1 power on, 2 reset, 4 send the ATR), anything else is a command
APDU to answer with a response APDU. This is both the demo reader and the test
card; it answers the PC/SC "get UID" pseudo-APDU FF CA 00 00 00 like a
contactless reader does for the card in its field, and emulates the storage of
a MIFARE Classic 1K (PC/SC storage-card commands, kiosk.sim.virtual_mifare) or
an ISO 7816-4 CPU card. The cards that authenticate are in kiosk.sim.virtual_ecc
(``cpu-ecc``) and kiosk.sim.virtual_desfire (``desfire``); all of them are issued
and read with the product's own card code (kiosk.adapters.card_io).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.adapters.card_access import CardAccess
from kiosk.adapters.card_io import CardRead, personalise, read_card, write_and_check
from kiosk.config.cards import KIOSK_AID, KIOSK_FILE_ID, TRANSPORT_KEY, CardKeys
from kiosk.domain.card_auth import Personalised
from kiosk.sim.virtual_mifare import MifareClassic


def _atr(historical: bytes) -> bytes:
    """A contactless reader's ATR (PC/SC part 3) around the given historical bytes."""
    body = bytes([0x80 | len(historical), 0x80, 0x01]) + historical
    tck = 0
    for byte in body:
        tck ^= byte
    return b"\x3B" + body + bytes([tck])


# ATRs a PC/SC contactless reader reports: MIFARE Classic 1K and Ultralight (storage cards,
# card name 00 01 / 00 03) and an ISO 14443-4 CPU card.
MIFARE_ATR = _atr(bytes.fromhex("804F0CA00000030603000100000000"))
ULTRALIGHT_ATR = _atr(bytes.fromhex("804F0CA00000030603000300000000"))
CPU_ATR = _atr(b"KIOSK-CPU01")
DEFAULT_ATR = MIFARE_ATR
SW_OK = b"\x90\x00"
SW_INS_NOT_SUPPORTED = b"\x6D\x00"
SW_CLA_NOT_SUPPORTED = b"\x6E\x00"
SW_WRONG_P1P2 = b"\x6A\x86"
SW_NOT_FOUND = b"\x6A\x82"
SW_NOT_ALLOWED = b"\x69\x82"
SW_WRONG_LENGTH = b"\x67\x00"


@dataclass
class VirtualCard:
    """A contactless card: ``kind`` "mifare" (Classic 1K), "cpu" (ISO 7816-4) or "uid"
    (answers only its UID). ``vanish_on_read`` simulates pulling it away mid-read;
    ``copy_to`` makes the clone an attacker would: same memory, another UID (or the same
    UID on a "magic" card, which a MIFARE Classic reader cannot tell from the original)."""

    uid: bytes
    kind: str = "mifare"
    vanish_on_read: bool = False
    answers_uid: bool = True
    key_a: bytes = TRANSPORT_KEY
    key_b: bytes = TRANSPORT_KEY
    aid: bytes = KIOSK_AID
    file_id: bytes = KIOSK_FILE_ID
    memory: bytearray = field(default_factory=lambda: bytearray(1024))
    atr: bytes = b""

    def __post_init__(self) -> None:
        self.atr = self.atr or {"mifare": MIFARE_ATR, "cpu": CPU_ATR}.get(self.kind, ULTRALIGHT_ATR)
        self.classic = (MifareClassic(self.memory, self.key_a, self.key_b)
                        if self.kind == "mifare" else None)
        self.reset()

    def reset(self) -> None:
        """Power-on: keys unloaded, nothing authenticated or selected."""
        if self.classic:
            self.classic.reset()
        self._app = self._file = False

    def field_uid(self) -> bytes:
        """The UID a reader sees in the field (a random-UID card's changes at each power-on)."""
        return self.uid

    # -- the product's card code, run against this card (issuance without a reader) --------
    def personalise(self, access: CardAccess | CardKeys) -> Personalised:
        self.reset()
        return personalise(self.respond, self.field_uid(), self.kind, CardAccess.of(access))

    def write_and_read_back(self, kind: str, framed: bytes,
                            access: CardAccess | CardKeys) -> bytes | None:
        """Write a framed record as a reader would, then read it back from a fresh session
        (the card authenticating once, for the kinds that do)."""
        self.reset()
        return write_and_check(self.respond, self.atr, self.field_uid(), kind, framed, access,
                               fresh=self.reset)

    def read(self, access: CardAccess | CardKeys = CardAccess()) -> CardRead:
        """What a reader gets from this card on a tap."""
        self.reset()
        return read_card(self.respond, self.atr, self.field_uid(), access)

    def same_card(self) -> VirtualCard:
        """The very card again, for another tap (its own state, so two slots never share one)."""
        return self.copy_to(self.uid)

    def copy_to(self, uid: bytes) -> VirtualCard:
        return VirtualCard(uid, self.kind, key_a=self.key_a, key_b=self.key_b, aid=self.aid,
                           file_id=self.file_id, memory=bytearray(self.memory))

    def respond(self, apdu: bytes) -> bytes:
        if apdu[:2] == b"\xFF\xCA":
            if not self.answers_uid:
                return SW_INS_NOT_SUPPORTED
            if apdu[2] == 0x00:
                uid = self.field_uid()
                le = apdu[4] if len(apdu) > 4 else 0
                return (uid if le in (0, len(uid)) else uid[:le]) + SW_OK
            return SW_WRONG_P1P2
        if self.classic and apdu[0] == 0xFF:
            return self.classic.respond(apdu)
        if self.kind in ("cpu", "cpu-ecc") and apdu[0] == 0x00:
            return self._iso(apdu)
        return SW_CLA_NOT_SUPPORTED if self.kind != "mifare" else SW_INS_NOT_SUPPORTED

    # -- ISO 7816-4 CPU card -------------------------------------------------------
    def _iso(self, apdu: bytes) -> bytes:
        ins, p1, p2 = apdu[1], apdu[2], apdu[3]
        if ins == 0xA4:
            data = apdu[5:5 + apdu[4]] if len(apdu) > 5 else b""
            if p1 == 0x04:
                self._app = data == self.aid
                self._file = False
                return SW_OK if self._app else SW_NOT_FOUND
            if p1 == 0x02 and self._app:
                self._file = data == self.file_id
                return SW_OK if self._file else SW_NOT_FOUND
            return SW_NOT_FOUND
        if ins in (0xB0, 0xD6):
            if not self._file:
                return SW_NOT_ALLOWED
            offset = ((p1 & 0x7F) << 8) | p2
            if ins == 0xB0:
                le = apdu[4] if len(apdu) > 4 and apdu[4] else 256
                return bytes(self.memory[offset:offset + le]) + SW_OK
            data = apdu[5:5 + apdu[4]]
            if offset + len(data) > 256:
                return SW_WRONG_LENGTH
            self.memory[offset:offset + len(data)] = data
            return SW_OK
        return self._applet(apdu)

    def _applet(self, apdu: bytes) -> bytes:
        """Commands an open CPU card does not have (a ``cpu-ecc`` card's key commands)."""
        return SW_INS_NOT_SUPPORTED
