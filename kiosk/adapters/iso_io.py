"""The card record on ISO 7816-4 CPU cards, and the ``cpu-ecc`` challenge (docs/cards.md).

The kiosk application (``cards.aid``) holds the record in an elementary file
(``cards.file_id``): SELECT, READ BINARY, UPDATE BINARY. A card whose applet also holds an EC
P-256 key made on the card is a ``cpu-ecc`` card:

* GENERATE ASYMMETRIC KEY PAIR ``00 46 00 00 00`` (ISO 7816-8) answers ``7F49 L 86 41 04 X Y``,
  the new public key; the private key never leaves the card;
* INTERNAL AUTHENTICATE ``00 88 00 00 20 <32-byte challenge> 00`` answers the DER ECDSA
  signature over SHA-256 of the challenge (JavaCard's ALG_ECDSA_SHA_256 hashes on the card).

The kiosk sends a fresh random challenge on each tap and checks the signature against the
public key in the station-signed record (kiosk.domain.card_auth), so nothing secret is kept on
any station.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from kiosk.adapters.mifare_io import call
from kiosk.config.cards import CardKeys
from kiosk.domain.card_auth import CHALLENGE_BYTES, EccProof, ProofFailed
from kiosk.domain.card_records import MAX_FILE
from kiosk.errors import CardIOError

Transmit = Callable[[bytes], bytes]
OK = b"\x90\x00"
NO_APPLICATION = (b"\x6A\x82", b"\x6D\x00", b"\x6E\x00", b"\x6A\x86")
GENERATE_KEY = bytes.fromhex("0046000000")


def select(transmit: Transmit, keys: CardKeys) -> bool:
    """Select the kiosk application and its file; False if the card has no such application."""
    response = transmit(b"\x00\xA4\x04\x00" + bytes([len(keys.aid)]) + keys.aid + b"\x00")
    if response[-2:] in NO_APPLICATION:
        return False
    if response[-2:] != OK and response[-2:-1] != b"\x61":
        raise CardIOError("select application", response[-2:])
    call(transmit, b"\x00\xA4\x02\x0C\x02" + keys.file_id, "select file")
    return True


def read(transmit: Transmit) -> bytes:
    head = call(transmit, b"\x00\xB0\x00\x00\x02", "read binary")
    length = int.from_bytes(head[:2], "big") if len(head) == 2 else 0
    if length == 0 or length > MAX_FILE - 2:
        return head
    return head + call(transmit, bytes([0x00, 0xB0, 0x00, 0x02, length]), "read binary")


def write(transmit: Transmit, keys: CardKeys, framed: bytes) -> None:
    if not select(transmit, keys):
        raise CardIOError("select application", b"\x6A\x82")
    for offset in range(0, len(framed), 128):
        chunk = framed[offset:offset + 128]
        call(transmit, bytes([0x00, 0xD6, offset >> 8, offset & 0xFF, len(chunk)]) + chunk,
              "update binary")


def generate_key(transmit: Transmit, keys: CardKeys) -> bytes | None:
    """At issuance: a new key pair made on the card; its public key, compressed (33 bytes),
    or None for an open CPU card whose applet has no key (it answers 6D00 or 6A81)."""
    if not select(transmit, keys):
        raise CardIOError("select application", b"\x6A\x82")
    response = transmit(GENERATE_KEY)
    if response[-2:] in (b"\x6D\x00", b"\x6A\x81", b"\x6E\x00"):
        return None
    if len(response) < 2 or response[-2:] != OK:
        raise CardIOError("generate key", response[-2:])
    data = response[:-2]
    point = data.find(b"\x86\x41\x04")
    if not data.startswith(b"\x7F\x49") or point < 0:
        raise CardIOError("generate key: no public key in the answer")
    try:
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(),
                                                           data[point + 2:point + 67])
    except ValueError:
        raise CardIOError("generate key: not a P-256 point") from None
    return key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)


def challenge(transmit: Transmit) -> EccProof | ProofFailed:
    """INTERNAL AUTHENTICATE with a fresh random challenge (the application is selected)."""
    nonce = os.urandom(CHALLENGE_BYTES)
    response = transmit(b"\x00\x88\x00\x00" + bytes([len(nonce)]) + nonce + b"\x00")
    if len(response) < 2:
        raise CardIOError("internal authenticate")
    if response[-2:] != OK:
        return ProofFailed(f"internal authenticate answered {response[-2:].hex().upper()}")
    return EccProof(nonce, response[:-2])
