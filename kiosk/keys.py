"""The station's Ed25519 key: generated once into a 0600 PEM file, refused if others can read it;
and its enrolment code, the text (or QR code) the county scans to enrol the public half.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.errors import KeyFileError

QR_ERROR_LEVEL = "m"  # 15 % of an enrolment QR code may be damaged and it still scans


class StationKey:
    """Signs events; derives the secret that keys unknown-card fingerprints."""

    def __init__(self, private: Ed25519PrivateKey):
        self._private = private
        self.public: Ed25519PublicKey = private.public_key()

    def sign(self, data: bytes) -> bytes:
        return self._private.sign(data)

    def public_bytes(self) -> bytes:
        return self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def fingerprint(self) -> str:
        return fingerprint(self.public_bytes())

    def x25519(self):
        """The same key on the other curve, for opening sealed backups (kiosk.protocol.sealed)."""
        from kiosk.protocol.sealed import x25519_private_from_seed
        return x25519_private_from_seed(self._seed())

    def _seed(self) -> bytes:
        return self._private.private_bytes(serialization.Encoding.Raw,
                                           serialization.PrivateFormat.Raw,
                                           serialization.NoEncryption())

    def derived_secret(self, purpose: str) -> bytes:
        seed = self._private.private_bytes(serialization.Encoding.Raw,
                                           serialization.PrivateFormat.Raw,
                                           serialization.NoEncryption())
        return hashlib.sha256(f"kiosk-derived-v1:{purpose}:".encode() + seed).digest()


def fingerprint(public_raw: bytes) -> str:
    """SHA-256 of the raw public key, first 16 bytes, grouped for reading aloud."""
    digest = hashlib.sha256(public_raw).hexdigest()[:32]
    return ":".join(digest[i:i + 4] for i in range(0, 32, 4))


def generate_key_file(path: Path, force: bool = False) -> StationKey:
    """Write a new key with mode 0600 from the start (never briefly world-readable)."""
    path = Path(path)
    if path.exists() and not force:
        raise KeyFileError(f"key file {path} already exists; keep it (it is this station's "
                           "identity) or pass --force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    sync_directory(path.parent)  # the new name too: a power cut must not lose the identity
    return StationKey(private)


def sync_directory(directory: Path) -> None:
    """fsync a directory, so that names created or renamed in it survive a power cut."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_key_permissions(path: Path) -> None:
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & 0o077:
        raise KeyFileError(
            f"key file {path} can be read by other users (mode {mode:04o}); "
            f"fix: chmod 600 {path}")


def load_key_file(path: Path) -> StationKey:
    path = Path(path)
    if not path.exists():
        raise KeyFileError(f"key file {path} does not exist; fix: kiosk keygen --key-file {path}")
    check_key_permissions(path)
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError) as exc:
        raise KeyFileError(f"key file {path} is not a readable Ed25519 key ({exc}); restore it "
                           "from backup or, for a new station, run kiosk keygen --force") from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyFileError(f"key file {path} holds a {type(private).__name__}, not an Ed25519 key")
    return StationKey(private)


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A PEM public key file, or the public half of a station key file."""
    data = Path(path).read_bytes()
    if b"PRIVATE KEY" in data:
        return load_key_file(path).public
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{path} is not an Ed25519 public key")
    return key


def make_verifier(public_keys: dict[str, Ed25519PublicKey], lookup=None, former=None):
    """Card-record verifier: (station id, signature, data) -> True/False, None if not trusted.

    ``lookup(station_id)`` gives further keys as hex (the county's roster feed); ``former``
    (station id -> list of keys) the keys a station had before a restore gave it a new one:
    the cards they signed stay valid."""
    from cryptography.exceptions import InvalidSignature

    def verify(station_id: str, signature: bytes, data: bytes) -> bool | None:
        key = public_keys.get(station_id)
        if key is None and lookup is not None and (found := lookup(station_id)):
            key = public_key_from_hex(found)
        if key is None:
            return None
        for candidate in [key, *(former(station_id) if former else [])]:
            try:
                candidate.verify(signature, data)
                return True
            except InvalidSignature:
                continue
        return False
    return verify


def public_key_from_hex(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))


def enrolment_text(station_id: str, public_raw: bytes) -> str:
    """`kiosk-county enroll --code ...` takes this text; its QR code scans to it."""
    return f"kiosk-station:v1:{station_id}:{public_raw.hex()}"


def parse_enrolment_text(text: str) -> tuple[str, str]:
    """(station id, public key hex) from an enrolment code; ValueError if it is not one."""
    parts = text.strip().split(":")
    if len(parts) != 4 or parts[:2] != ["kiosk-station", "v1"] or len(bytes.fromhex(parts[3])) != 32:
        raise ValueError("not a kiosk station enrolment code")
    return parts[2], parts[3]


def terminal_qr(text: str) -> str:
    import segno
    out = io.StringIO()
    segno.make(text, error=QR_ERROR_LEVEL).terminal(out=out, compact=True)
    return out.getvalue()


def svg_qr(text: str) -> str:
    """An inline SVG QR code (no script, no external resources)."""
    import segno
    out = io.BytesIO()
    segno.make(text, error=QR_ERROR_LEVEL).save(out, kind="svg", scale=4, xmldecl=False, svgns=True,
                                      title="enrolment code")
    return out.getvalue().decode()
