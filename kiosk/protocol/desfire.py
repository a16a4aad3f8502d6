"""MIFARE DESFire EV2 AES-128 cryptography, shared by the station, the county and the
virtual card: key diversification (NXP AN10922), AuthenticateEV2First's session keys and
EV2 secure messaging (NXP AN12343, AN12196). Pure functions over bytes, no I/O.

Every value here is checked against NXP's published examples in
tests/unit/test_card_crypto_kat.py. Written from the application notes; no code of any
other implementation was used.
"""

from __future__ import annotations

import hashlib
import hmac
import zlib
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

from kiosk.errors import KioskError

BLOCK = 16
DESFIRE_AID = bytes.fromhex("4F494B")  # the kiosk application ("KIO", least significant first)
ZERO_IV = bytes(BLOCK)
RB = 0x87  # the CMAC constant for a 128-bit block (NIST SP 800-38B)


class Ev2Failed(KioskError, ValueError):
    """An EV2 authentication or a secure-messaging check failed: wrong key, or not the card."""


def aes_cbc(key: bytes, iv: bytes, data: bytes, encrypt: bool = True) -> bytes:
    cipher = Cipher(algorithms.AES(key), modes.CBC(iv))
    op = cipher.encryptor() if encrypt else cipher.decryptor()
    return op.update(data) + op.finalize()


def cmac(key: bytes, data: bytes) -> bytes:
    """AES-CMAC (RFC 4493), all 16 bytes."""
    mac = CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()


def truncate(mac: bytes) -> bytes:
    """EV2's 8-byte MAC: the bytes at odd positions (AN12343: ED5CB7A9... gives 5CA9EF7C...)."""
    return mac[1::2]


def _shift(block: bytes) -> bytes:
    value = int.from_bytes(block, "big") << 1
    out = (value & ((1 << 128) - 1)).to_bytes(BLOCK, "big")
    return out[:-1] + bytes([out[-1] ^ RB]) if block[0] & 0x80 else out


def diversify(master: bytes, data: bytes) -> bytes:
    """AN10922 §2.2 AES-128 diversification: CMAC over 0x01 || data, always padded to 32
    bytes (with subkey K2 when padded, K1 when not), which a plain CMAC does for inputs of
    16 to 32 bytes only. ``data`` (UID || AID || system id) is at most 31 bytes."""
    if not 0 < len(data) <= 31:
        raise ValueError("AN10922 diversification input is 1 to 31 bytes")
    k1 = _shift(aes_cbc(master, ZERO_IV, ZERO_IV))
    k2 = _shift(k1)
    message = b"\x01" + data
    if len(message) < 32:
        message += b"\x80" + bytes(31 - len(message))
        last = k2
    else:
        last = k1
    message = message[:16] + bytes(a ^ b for a, b in zip(message[16:], last, strict=True))
    return aes_cbc(master, ZERO_IV, message)[-16:]


def township_key(county_key: bytes, township: str, version: int) -> bytes:
    """The key the county hands one township's stations: diversified from the county card
    key by the township's name and the key version (a new version re-keys the township)."""
    name = hashlib.sha256(township.encode("utf-8")).digest()[:16]
    return diversify(county_key, b"TOWNSHIP" + bytes([version]) + name)


def mifare_master(county_key: bytes) -> bytes:
    """The county-wide master from which each MIFARE Classic card's sector keys are
    diversified (kiosk.adapters.mifare_io): the same at every station of the county, so each
    reads the others' cards; Crypto-1 keeps those cards breakable whatever the key."""
    return diversify(county_key, b"MIFARE-CLASSIC-1")


def card_key(key: bytes, uid: bytes, aid: bytes, key_no: int) -> bytes:
    """One card's key ``key_no`` in the kiosk application: AN10922 over its UID, the
    application id and the system identifier ``KIOSK-<n>``."""
    return diversify(key, uid + aid + f"KIOSK-{key_no}".encode("ascii"))


def rotate(data: bytes) -> bytes:
    """RndA' / RndB': one byte rotated to the left."""
    return data[1:] + data[:1]


def session_keys(key: bytes, rnd_a: bytes, rnd_b: bytes) -> tuple[bytes, bytes]:
    """(SesAuthENC, SesAuthMAC) after AuthenticateEV2First: CMAC under the authentication
    key over SV1 / SV2 (label, counter, length, then RndA and RndB interleaved)."""
    mixed = (rnd_a[:2] + bytes(a ^ b for a, b in zip(rnd_a[2:8], rnd_b[:6], strict=True))
             + rnd_b[6:] + rnd_a[8:])
    return (cmac(key, b"\xA5\x5A\x00\x01\x00\x80" + mixed),
            cmac(key, b"\x5A\xA5\x00\x01\x00\x80" + mixed))


def crc32(data: bytes) -> bytes:
    """DESFire's CRC32 (the IEEE polynomial without the final inversion), LSB first."""
    return ((zlib.crc32(data) ^ 0xFFFFFFFF) & 0xFFFFFFFF).to_bytes(4, "little")


def pad(data: bytes) -> bytes:
    """ISO/IEC 9797-1 method 2: 0x80, then zeros to the next block (always adds one)."""
    return data + b"\x80" + bytes(-(len(data) + 1) % BLOCK)


def unpad(data: bytes) -> bytes:
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80"):
        raise Ev2Failed("bad padding")
    return stripped[:-1]


def pcd_answer(key: bytes, enc_rnd_b: bytes, rnd_a: bytes) -> tuple[bytes, bytes]:
    """The reader's second step: (RndB, E(K, RndA || RndB')) from the card's E(K, RndB)."""
    if len(enc_rnd_b) != BLOCK or len(rnd_a) != BLOCK:
        raise Ev2Failed("the card's first answer is not one AES block")
    rnd_b = aes_cbc(key, ZERO_IV, enc_rnd_b, encrypt=False)
    return rnd_b, aes_cbc(key, ZERO_IV, rnd_a + rotate(rnd_b))


def pcd_finish(key: bytes, rnd_a: bytes, rnd_b: bytes, card_answer: bytes) -> Session:
    """The card's last answer E(K, TI || RndA' || PDcap2 || PCDcap2) checked: the card knew
    the key only if it returns our fresh RndA rotated. Returns the session."""
    if len(card_answer) != 2 * BLOCK:
        raise Ev2Failed("the card's last answer is not two AES blocks")
    plain = aes_cbc(key, ZERO_IV, card_answer, encrypt=False)
    if plain[4:20] != rotate(rnd_a):
        raise Ev2Failed("the card did not return our challenge: it does not hold the key")
    enc, mac = session_keys(key, rnd_a, rnd_b)
    return Session(plain[:4], enc, mac)


@dataclass
class Session:
    """An EV2 secure-messaging session: transaction identifier, session keys and the
    command counter (both sides count each command answered with 00)."""

    ti: bytes
    enc: bytes
    mac: bytes
    counter: int = 0

    def _ctr(self, offset: int = 0) -> bytes:
        return ((self.counter + offset) & 0xFFFF).to_bytes(2, "little")

    def command_mac(self, cmd: int, header: bytes = b"", data: bytes = b"") -> bytes:
        return truncate(cmac(self.mac, bytes([cmd]) + self._ctr() + self.ti + header + data))

    def response_mac(self, code: int, data: bytes = b"") -> bytes:
        """The MAC the card appends to an answer (after the command it answers)."""
        return truncate(cmac(self.mac, bytes([code]) + self._ctr(1) + self.ti + data))

    def _iv(self, label: bytes, offset: int) -> bytes:
        return aes_cbc(self.enc, ZERO_IV, label + self.ti + self._ctr(offset) + bytes(8))

    def encrypt_command(self, data: bytes) -> bytes:
        return aes_cbc(self.enc, self._iv(b"\xA5\x5A", 0), pad(data))

    def decrypt_command(self, data: bytes) -> bytes:
        return unpad(aes_cbc(self.enc, self._iv(b"\xA5\x5A", 0), data, encrypt=False))

    def encrypt_response(self, data: bytes) -> bytes:
        return aes_cbc(self.enc, self._iv(b"\x5A\xA5", 1), pad(data))

    def decrypt_response(self, data: bytes) -> bytes:
        if not data or len(data) % BLOCK:
            raise Ev2Failed("encrypted answer is not whole AES blocks")
        return unpad(aes_cbc(self.enc, self._iv(b"\x5A\xA5", 1), data, encrypt=False))

    def check_response(self, code: int, data: bytes, mac: bytes) -> None:
        """Raise Ev2Failed unless ``mac`` is the card's MAC over this answer; then count it."""
        if not hmac.compare_digest(self.response_mac(code, data), mac):
            raise Ev2Failed("the answer's MAC does not match")
        self.counter += 1
