"""Sealed boxes for backups: anyone can seal to a key's public half, only its holder opens.

An ephemeral X25519 key agrees a secret with the recipient's X25519 key; HKDF-SHA256 (salt:
both public keys) turns it into a ChaCha20-Poly1305 key; the zlib-compressed plaintext is
encrypted under it with the header as associated data. Layout::

    MAGIC (10) | label length (1) | label | ephemeral public key (32) | nonce (12) | ciphertext

The recipient's X25519 key is its Ed25519 key read on the other curve, the standard map
libsodium uses (crypto_sign_ed25519_pk_to_curve25519 / _sk_to_curve25519): the public
u = (1 + y) / (1 - y) mod 2^255 - 19, the private scalar the first half of SHA-512 of the
Ed25519 seed. So the county's backup key is its signing key (``county.public_key``), and a
station's is its own; no second key to hand out (docs/security.md).
"""

from __future__ import annotations

import hashlib
import os
import zlib
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kiosk.errors import ProtocolError

MAGIC = b"KIOSKSEAL1"
P = 2**255 - 19


def x25519_public_from_ed25519(ed_public: bytes) -> bytes:
    """The X25519 public key (raw 32 bytes) of an Ed25519 public key (raw 32 bytes)."""
    if len(ed_public) != 32:
        raise ValueError("an Ed25519 public key has 32 bytes")
    y = int.from_bytes(ed_public, "little") & ((1 << 255) - 1)
    if y >= P or y == 1:
        raise ValueError("not a usable Ed25519 public key")
    u = (1 + y) * pow(1 - y, P - 2, P) % P
    return u.to_bytes(32, "little")


def x25519_private_from_seed(seed: bytes) -> X25519PrivateKey:
    """The X25519 private key of an Ed25519 seed (raw 32 bytes); X25519 clamps the scalar."""
    return X25519PrivateKey.from_private_bytes(hashlib.sha512(seed).digest()[:32])


def _raw(public: X25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _key(shared: bytes, ephemeral: bytes, recipient: bytes, label: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=ephemeral + recipient,
                info=b"kiosk-sealed-box-v1\x00" + label).derive(shared)


def seal(plaintext: bytes, recipient: bytes, label: bytes) -> bytes:
    """``plaintext`` sealed to the X25519 public key ``recipient`` (raw 32 bytes)."""
    if len(label) > 255:
        raise ValueError("label longer than 255 bytes")
    ephemeral = X25519PrivateKey.generate()
    eph_raw = _raw(ephemeral.public_key())
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
    nonce = os.urandom(12)
    header = MAGIC + bytes([len(label)]) + label + eph_raw + nonce
    box = ChaCha20Poly1305(_key(shared, eph_raw, recipient, label))
    return header + box.encrypt(nonce, zlib.compress(plaintext, 6), header)


def label_of(blob: bytes) -> bytes:
    """The label a sealed box was made with (readable without the key)."""
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 1:
        raise ProtocolError("not a kiosk sealed box")
    return blob[len(MAGIC) + 1:len(MAGIC) + 1 + blob[len(MAGIC)]]


def open_sealed(blob: bytes, private: X25519PrivateKey) -> bytes:
    """The plaintext of a box sealed to ``private``'s public half; ProtocolError if it was
    sealed to another key or altered."""
    label = label_of(blob)
    start = len(MAGIC) + 1 + len(label)
    eph_raw, nonce = blob[start:start + 32], blob[start + 32:start + 44]
    if len(nonce) != 12:
        raise ProtocolError("sealed box is truncated")
    header = blob[:start + 44]
    shared = private.exchange(X25519PublicKey.from_public_bytes(eph_raw))
    box = ChaCha20Poly1305(_key(shared, eph_raw, _raw(private.public_key()), label))
    try:
        return zlib.decompress(box.decrypt(nonce, blob[start + 44:], header))
    except (InvalidTag, zlib.error):
        raise ProtocolError("sealed box not for this key, or altered") from None


BACKUP_LABEL = "kiosk-backup:"  # sealed to the county: a station's database
RESTORE_LABEL = "kiosk-restore:"  # sealed to a successor: succession, head and database


def seal_to_ed25519(plaintext: bytes, ed_public_hex: str, label: str) -> bytes:
    """Seal to the holder of an Ed25519 key (a station's, or the county's)."""
    return seal(plaintext, x25519_public_from_ed25519(bytes.fromhex(ed_public_hex)),
                label.encode())


def bundle(database: bytes, succession: dict[str, Any], head: dict[str, Any]) -> bytes:
    """What the county seals to a successor: its signed succession and head (JSON), then the
    station's database."""
    import json
    import struct
    header = json.dumps({"succession": succession, "head": head}).encode()
    return struct.pack(">I", len(header)) + header + database


def unbundle(plain: bytes) -> tuple[dict[str, Any], bytes]:
    import json
    import struct
    try:
        (length,) = struct.unpack(">I", plain[:4])
        return json.loads(plain[4:4 + length]), plain[4 + length:]
    except (struct.error, ValueError):
        raise ProtocolError("not a restore bundle") from None
