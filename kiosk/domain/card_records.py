"""The signed record written onto every card the kiosk issues.

The record binds a card number and a role to the card's UID and is signed by
the issuing station's Ed25519 key, so a kiosk can tell an issued card from a
copy on another card (the UID differs), a forged or altered record (the
signature fails) and a revoked card (its number is on the revoked list).

Layout (big-endian), small enough for three MIFARE Classic sectors::

    "KC" | version (1) | role (1) | card_no (len 1 + ASCII) | uid (len 1 + bytes)
    | issued_at (4, Unix seconds) | station_id (len 1 + UTF-8)
    | [version 2: auth binding (len 1 + bytes), kiosk.domain.card_auth] | signature (64)

Version 2 records belong to cards that prove themselves on each tap (``cpu-ecc``,
``desfire``); the signature then also covers the card's public key or its township.
On the card it is stored with a 2-byte length in front (see ``frame``).
"""

from __future__ import annotations

import datetime as dt
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.domain.card_auth import AuthBinding
from kiosk.domain.events import Signer
from kiosk.errors import KioskError

MAGIC = b"KC"
VERSION = 1
AUTH_VERSION = 2  # a record with an auth binding
ROLES = {1: "resident", 2: "technician"}
ROLE_CODES = {name: code for code, name in ROLES.items()}
SIGNATURE_CONTEXT = b"kiosk-card-record-v1\x00"
CARD_NO_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud over the phone
MAX_FRAMED = 144  # three MIFARE Classic sectors of three 16-byte blocks
MAX_FILE = 256  # the kiosk's file on a CPU or DESFire card


class RecordRefused(KioskError, ValueError):
    """The card carries a record that must not be honoured; ``reason`` names why."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason  # "malformed", "copied", "forged", "unknown_issuer", "not_authentic"
        self.detail = detail


@dataclass(frozen=True)
class CardRecord:
    card_no: str
    role: str
    uid: bytes
    issued_at: int
    station_id: str
    version: int = VERSION
    signature: bytes = b""
    auth: AuthBinding | None = None

    @property
    def issued_at_iso(self) -> str:
        return dt.datetime.fromtimestamp(self.issued_at, dt.UTC).isoformat()

    def body(self) -> bytes:
        """Everything the signature covers (the record without its signature)."""
        if self.role not in ROLE_CODES:
            raise ValueError(f"unknown role {self.role!r}")
        card_no, station = self.card_no.encode("ascii"), self.station_id.encode("utf-8")
        version = AUTH_VERSION if self.auth else VERSION
        return (MAGIC + bytes([version, ROLE_CODES[self.role]]) + _short(card_no)
                + _short(self.uid) + struct.pack(">I", self.issued_at) + _short(station)
                + (_short(self.auth.encode()) if self.auth else b""))


def _short(field: bytes) -> bytes:
    if len(field) > 255:
        raise ValueError("record field longer than 255 bytes")
    return bytes([len(field)]) + field


def new_card_no() -> str:
    """A random card number: 10 characters, about 50 bits, easy to read aloud."""
    return "".join(secrets.choice(CARD_NO_ALPHABET) for _ in range(10))


def sign_record(record: CardRecord, signer: Signer) -> bytes:
    """The record's bytes with the station's signature appended."""
    return record.body() + signer.sign(SIGNATURE_CONTEXT + record.body())


def frame(record_bytes: bytes, limit: int = MAX_FRAMED) -> bytes:
    """Length-prefixed, as stored in the card's file or blocks (``limit``: its size)."""
    framed = struct.pack(">H", len(record_bytes)) + record_bytes
    if len(framed) > limit:
        raise ValueError(f"card record of {len(framed)} bytes does not fit ({limit} max)")
    return framed


def unframe(data: bytes) -> bytes | None:
    """The record inside a card's storage, or None if the card holds none (blank card)."""
    if len(data) < 2:
        return None
    (length,) = struct.unpack(">H", data[:2])
    if length == 0 or length == 0xFFFF or length > len(data) - 2 or data[2:4] != MAGIC:
        return None
    return data[2:2 + length]


def parse_record(data: bytes) -> CardRecord:
    """Decode a record (without judging it); RecordRefused('malformed') if it is not one."""
    try:
        if data[:2] != MAGIC:
            raise ValueError("no record marker")
        version, role = data[2], data[3]
        if version not in (VERSION, AUTH_VERSION):
            raise ValueError(f"record version {version} is not supported")
        pos = 4
        fields = []
        for _ in range(2):
            n = data[pos]
            fields.append(data[pos + 1:pos + 1 + n])
            pos += 1 + n
        (issued_at,) = struct.unpack(">I", data[pos:pos + 4])
        pos += 4
        n = data[pos]
        station = data[pos + 1:pos + 1 + n].decode("utf-8")
        pos += 1 + n
        auth = None
        if version == AUTH_VERSION:
            n = data[pos]
            auth = AuthBinding.decode(bytes(data[pos + 1:pos + 1 + n]))
            pos += 1 + n
        signature = data[pos:]
        if len(signature) != 64 or role not in ROLES:
            raise ValueError("bad signature length or role")
        return CardRecord(fields[0].decode("ascii"), ROLES[role], bytes(fields[1]), issued_at,
                          station, version, bytes(signature), auth)
    except (IndexError, ValueError, UnicodeDecodeError, struct.error) as exc:
        raise RecordRefused("malformed", str(exc)) from None


Verifier = Callable[[str, bytes, bytes], bool | None]
"""(issuing station id, signature, signed bytes) -> True/False, or None for an unknown issuer."""


def verify_record(data: bytes, uid: bytes, verify: Verifier, check_uid: bool = True) -> CardRecord:
    """The record, if it was issued for this very card by a trusted station; else RecordRefused.
    ``check_uid`` False: the UID cannot be known (a random-UID card not authenticated)."""
    record = parse_record(data)
    ok = verify(record.station_id, record.signature, SIGNATURE_CONTEXT + record.body())
    if ok is None:
        raise RecordRefused("unknown_issuer", record.station_id)
    if not ok:
        raise RecordRefused("forged", "signature does not match")
    if check_uid and record.uid != uid:
        raise RecordRefused("copied", "record was issued for another card")
    return record
