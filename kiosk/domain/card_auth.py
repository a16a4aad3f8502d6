"""How a card proves it is the card the kiosk issued, not a copy of its bytes.

A card's signed record may carry an ``AuthBinding``: the profile it authenticates with and
what the check needs (a ``cpu-ecc`` card's public key, a ``desfire`` card's township and key
version). On each tap the reader adds a proof of what happened with the card in the field:
the card's signature over a fresh challenge (checked here, against the key in the record),
a DESFire mutual authentication that succeeded with the card's diversified key (done by the
reader, which holds the key, or relayed through the county), one that failed, or none the
station could make (another township's card with the county out of reach).

docs/cards.md gives the profiles byte by byte; docs/security.md what each one stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

PROFILE_CODES = {"cpu-ecc": 1, "desfire": 2}
PROFILES = {code: name for name, code in PROFILE_CODES.items()}
AUTHENTICATING_KINDS = frozenset(PROFILE_CODES)
CHALLENGE_BYTES = 32


@dataclass(frozen=True)
class AuthBinding:
    """The part of the signed record that says how its card authenticates."""

    profile: str  # "cpu-ecc" | "desfire"
    public_key: bytes = b""  # cpu-ecc: the card's P-256 key, compressed point (33 bytes)
    township: str = ""  # desfire: whose key the card was personalised with
    key_version: int = 0  # desfire: the version of that key

    def encode(self) -> bytes:
        if self.profile == "cpu-ecc":
            return bytes([PROFILE_CODES["cpu-ecc"]]) + self.public_key
        township = self.township.encode("utf-8")
        if len(township) > 64:
            raise ValueError("township id longer than 64 bytes")
        return bytes([PROFILE_CODES["desfire"], self.key_version, len(township)]) + township

    @staticmethod
    def decode(data: bytes) -> AuthBinding:
        """ValueError if the bytes are not a binding this kiosk knows."""
        profile = PROFILES.get(data[0]) if data else None
        if profile == "cpu-ecc":
            if len(data) != 34 or data[1] not in (2, 3):
                raise ValueError("cpu-ecc binding needs a compressed P-256 key")
            return AuthBinding(profile, public_key=bytes(data[1:]))
        if profile == "desfire" and len(data) >= 3 and len(data) == 3 + data[2]:
            return AuthBinding(profile, township=data[3:].decode("utf-8"), key_version=data[1])
        raise ValueError("unknown card authentication binding")


@dataclass(frozen=True)
class EccProof:
    """A ``cpu-ecc`` card's ECDSA signature over the reader's fresh random challenge."""

    challenge: bytes
    signature: bytes


@dataclass(frozen=True)
class KeyProof:
    """A ``desfire`` card answered AuthenticateEV2First with its key diversified from this
    township's key, and the record and UID were read under that session's MAC."""

    township: str
    key_version: int
    relayed: bool = False  # through the county: the card is of another township
    rekeyed_to: int | None = None  # the reader moved it to this key version on this tap


@dataclass(frozen=True)
class NotChecked:
    """The station could not check the card (``reason``: "offline", "no_key")."""

    reason: str


@dataclass(frozen=True)
class ProofFailed:
    """The card did not prove itself: a wrong answer, a replay, a missing key on the card."""

    reason: str


CardProof = EccProof | KeyProof | NotChecked | ProofFailed


@dataclass(frozen=True)
class Personalised:
    """A card given its keys at issuance, before its record is signed: its kind now, its real
    UID (a random-UID card's, from GetCardUID) and what the record must bind."""

    kind: str
    uid: bytes
    binding: AuthBinding | None = None
Verdict = Literal["verified", "unverified", "not_authentic", "none"]


def ecc_signature_valid(public_key: bytes, challenge: bytes, signature: bytes) -> bool:
    """ECDSA P-256 with SHA-256 over the challenge: the card hashes on card, or is sent the
    digest (PIV); either way the same check here."""
    try:
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public_key)
        key.verify(signature, challenge, ec.ECDSA(hashes.SHA256()))
    except (ValueError, InvalidSignature):
        return False
    return True


def judge(binding: AuthBinding | None, proof: CardProof | None) -> Verdict:
    """``none`` for a record without a binding (MIFARE Classic, open CPU cards); otherwise
    whether this tap's proof shows the card is the one the record was issued to."""
    if binding is None:
        return "none"
    if binding.profile == "cpu-ecc":
        if isinstance(proof, EccProof) and len(proof.challenge) >= CHALLENGE_BYTES \
                and ecc_signature_valid(binding.public_key, proof.challenge, proof.signature):
            return "verified"
        return "not_authentic"
    if isinstance(proof, KeyProof) and proof.township == binding.township:
        return "verified"
    if isinstance(proof, NotChecked):
        return "unverified"
    return "not_authentic"
