"""A JavaCard-like ``cpu-ecc`` card: the kiosk applet with an EC P-256 key made on the card.

GENERATE ASYMMETRIC KEY PAIR (``00 46``) makes the key and answers the public point;
INTERNAL AUTHENTICATE (``00 88``) signs the challenge with ECDSA over SHA-256, as JavaCard's
ALG_ECDSA_SHA_256 does (docs/cards.md). The private key never leaves the card: a copy of
everything a reader can read (``perfect_clone``) carries another key, or none.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from kiosk.sim.virtual_card import SW_INS_NOT_SUPPORTED, SW_OK, VirtualCard, _atr

ECC_ATR = _atr(b"KIOSK-ECC01")
SW_CONDITIONS = b"\x69\x85"
SW_NO_KEY = b"\x6A\x88"


@dataclass
class EccCard(VirtualCard):
    """``private``: the card's secret scalar (32 bytes), empty until the key is made."""

    kind: str = "cpu-ecc"
    private: bytes = b""

    def __post_init__(self) -> None:
        self.atr = self.atr or ECC_ATR
        super().__post_init__()

    def _key(self) -> ec.EllipticCurvePrivateKey:
        return ec.derive_private_key(int.from_bytes(self.private, "big"), ec.SECP256R1())

    def _applet(self, apdu: bytes) -> bytes:
        ins = apdu[1]
        if ins not in (0x46, 0x88):
            return SW_INS_NOT_SUPPORTED
        if not self._app:
            return SW_CONDITIONS
        if ins == 0x46:
            key = ec.generate_private_key(ec.SECP256R1())
            self.private = key.private_numbers().private_value.to_bytes(32, "big")
            point = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
            return b"\x7F\x49\x43\x86\x41" + point + SW_OK
        if not self.private:
            return SW_NO_KEY
        challenge = apdu[5:5 + apdu[4]] if len(apdu) > 5 else b""
        return self._key().sign(challenge, ec.ECDSA(hashes.SHA256())) + SW_OK

    def copy_to(self, uid: bytes) -> EccCard:
        """Its readable bytes on another card (the key cannot be read, so it stays behind)."""
        return EccCard(uid, memory=bytearray(self.memory), aid=self.aid, file_id=self.file_id)

    def same_card(self) -> EccCard:
        """The very card again (a new power-on), for taps in a test: key included."""
        return EccCard(self.uid, memory=self.memory, aid=self.aid, file_id=self.file_id,
                       private=self.private)

    def perfect_clone(self) -> EccCard:
        """Same UID, same readable bytes, and a key of its own: it answers every challenge,
        only not with the key the record names."""
        clone = EccCard(self.uid, memory=bytearray(self.memory), aid=self.aid,
                        file_id=self.file_id)
        clone.private = ec.generate_private_key(ec.SECP256R1()).private_numbers() \
            .private_value.to_bytes(32, "big")
        return clone
