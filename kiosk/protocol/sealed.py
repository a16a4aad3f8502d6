"""Sealed boxes for backups: anyone can seal to a key's public half, only its holder opens.

An ephemeral X25519 key agrees a secret with the recipient's X25519 key; HKDF-SHA256 (salt:
both public keys, info: the box's purpose) turns it into a ChaCha20-Poly1305 key; the
zlib-compressed plaintext is encrypted under it with the header as associated data. Layout::

    MAGIC "KIOSKSEAL2" (10) | ephemeral public key (32) | nonce (12) | ciphertext

Nothing in the clear says whose box it is or when it was made (issue 23, N14): the purpose
("kiosk-backup", "kiosk-restore") is bound into the key and the associated data, never
written, and the opener names the purpose it expects. Boxes of the first format
(``KIOSKSEAL1``, before issue 23) carried a label in the clear after the magic (a length
byte, then "kiosk-backup:<station>:<time>" or "kiosk-restore:<station>") and still open: the
label is read, must start with the expected purpose, and keys the box as it did then.

Anyone can seal to the county's public key, so whatever a box holds is a stranger's until it
is checked: inflating stops at ``inflate_limit`` (issue 23, N11), never more than that is
held in memory, and nothing is written before it is all in.

The recipient's X25519 key is its Ed25519 key read on the other curve, the standard map
libsodium uses (crypto_sign_ed25519_pk_to_curve25519 / _sk_to_curve25519): the public
u = (1 + y) / (1 - y) mod 2^255 - 19, the private scalar the first half of SHA-512 of the
Ed25519 seed. So the county's backup key is its signing key (``county.public_key``), and a
station's is its own; no second key to hand out (docs/security.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import zlib
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kiosk.errors import ProtocolError

MAGIC = b"KIOSKSEAL2"
MAGIC_V1 = b"KIOSKSEAL1"  # the first format: a label in the clear (still opened)
P = 2**255 - 19

BACKUP_LABEL = "kiosk-backup"  # sealed to the county: a station's database
RESTORE_LABEL = "kiosk-restore"  # sealed to a successor: succession, head and database

# What a box may inflate to (issue 23, N11). A station database compresses to about a third
# (3x to 4x at a few MB and more; a fresh one, 240 KB, 40x); a zlib bomb compresses about
# 1000x. So by default a box inflates to at most RATIO times its own size, or FLOOR (every
# small database fits), and never beyond MAX_INFLATED; an operator who vouches for a file
# names a bound of their own (``max_bytes``: kiosk-county open-backup --max-mb).
FLOOR = 64 * 2**20
RATIO = 32
MAX_INFLATED = 2 * 2**30
CHUNK = 2**20


def inflate_limit(sealed_size: int, max_bytes: int | None = None) -> int:
    """The most a box of ``sealed_size`` bytes may inflate to."""
    if max_bytes is not None:
        return max_bytes
    return min(MAX_INFLATED, max(FLOOR, RATIO * sealed_size))


def inflate(data: bytes, limit: int) -> bytes:
    """zlib ``data`` inflated, at most ``limit`` bytes of it ever held: ProtocolError (naming
    the bound in MiB) as soon as it would grow past it, or when it is cut short."""
    inflater, pieces, size = zlib.decompressobj(), [], 0
    try:
        while True:
            piece = inflater.decompress(data, min(CHUNK, limit - size + 1))
            size += len(piece)
            if size > limit:
                raise ProtocolError(f"the sealed file inflates to more than {limit / 2**20:.0f} "
                                    "MiB, the bound for a file of its size")
            pieces.append(piece)
            data = inflater.unconsumed_tail
            if inflater.eof or not (data or piece):
                break
    except zlib.error:
        raise ProtocolError("sealed box not for this key, or altered") from None
    if not inflater.eof:
        raise ProtocolError("sealed box is truncated")
    return b"".join(pieces)


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


def _key(shared: bytes, ephemeral: bytes, recipient: bytes, info: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=ephemeral + recipient, info=info).derive(shared)


def _info(purpose: bytes) -> bytes:
    return b"kiosk-sealed-box-v2\x00" + purpose


def _info_v1(label: bytes) -> bytes:
    return b"kiosk-sealed-box-v1\x00" + label


def seal(plaintext: bytes, recipient: bytes, purpose: bytes) -> bytes:
    """``plaintext`` sealed to the X25519 public key ``recipient`` (raw 32 bytes), for
    ``purpose`` (bound into the box, not written in it)."""
    ephemeral = X25519PrivateKey.generate()
    eph_raw = _raw(ephemeral.public_key())
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
    nonce = os.urandom(12)
    header = MAGIC + eph_raw + nonce
    box = ChaCha20Poly1305(_key(shared, eph_raw, recipient, _info(purpose)))
    return header + box.encrypt(nonce, zlib.compress(plaintext, 6), header)


def label_of(blob: bytes) -> bytes:
    """The label a first-format box was made with (readable without the key); b"" for a box
    of this format, which shows none."""
    if blob.startswith(MAGIC):
        return b""
    if not blob.startswith(MAGIC_V1) or len(blob) < len(MAGIC_V1) + 1:
        raise ProtocolError("not a kiosk sealed box")
    return blob[len(MAGIC_V1) + 1:len(MAGIC_V1) + 1 + blob[len(MAGIC_V1)]]


def open_sealed(blob: bytes, private: X25519PrivateKey, purpose: str,
                max_bytes: int | None = None) -> bytes:
    """The plaintext of a box sealed to ``private``'s public half for ``purpose``, inflated
    within ``inflate_limit``; ProtocolError if it was sealed to another key or for another
    purpose, altered, or inflates past the bound."""
    if blob.startswith(MAGIC):
        start, info = len(MAGIC), _info(purpose.encode())
    else:
        label = label_of(blob)
        if label != purpose.encode() and not label.startswith(purpose.encode() + b":"):
            raise ProtocolError(f"not a sealed {purpose} file")
        start, info = len(MAGIC_V1) + 1 + len(label), _info_v1(label)
    eph_raw, nonce = blob[start:start + 32], blob[start + 32:start + 44]
    if len(nonce) != 12:
        raise ProtocolError("sealed box is truncated")
    header = blob[:start + 44]
    shared = private.exchange(X25519PublicKey.from_public_bytes(eph_raw))
    box = ChaCha20Poly1305(_key(shared, eph_raw, _raw(private.public_key()), info))
    try:
        compressed = box.decrypt(nonce, blob[start + 44:], header)
    except InvalidTag:
        raise ProtocolError("sealed box not for this key, or altered") from None
    return inflate(compressed, inflate_limit(len(blob), max_bytes))


def seal_to_ed25519(plaintext: bytes, ed_public_hex: str, purpose: str) -> bytes:
    """Seal to the holder of an Ed25519 key (a station's, or the county's)."""
    return seal(plaintext, x25519_public_from_ed25519(bytes.fromhex(ed_public_hex)),
                purpose.encode())


def bundle(database: bytes, succession: dict[str, Any], head: dict[str, Any]) -> bytes:
    """What the county seals to a successor: its signed succession and head (JSON), then the
    station's database."""
    header = json.dumps({"succession": succession, "head": head}).encode()
    return struct.pack(">I", len(header)) + header + database


def unbundle(plain: bytes) -> tuple[dict[str, Any], bytes]:
    try:
        (length,) = struct.unpack(">I", plain[:4])
        header = json.loads(plain[4:4 + length])
    except (struct.error, ValueError):
        raise ProtocolError("not a restore bundle") from None
    if not isinstance(header, dict):
        raise ProtocolError("not a restore bundle")
    return header, plain[4 + length:]
