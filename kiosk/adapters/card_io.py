"""Reading, authenticating, personalising and writing the kiosk's card over any APDU transport.

Card kinds, by what the card answers (docs/cards.md):

* ``mifare``: MIFARE Classic, told by the reader's ATR (PC/SC part 3 card name 00 01 / 00 02);
  the record in sectors 1-3 (kiosk.adapters.mifare_io);
* ``cpu`` and ``cpu-ecc``: an ISO 7816-4 card with the kiosk application; a ``cpu-ecc`` card
  also signs a fresh challenge with a key made on the card (kiosk.adapters.iso_io);
* ``desfire``: MIFARE DESFire EV2/EV3 with the kiosk application, authenticated with its own
  AES keys (kiosk.adapters.desfire_io);
* anything else is a UID-only card.

The functions take a ``transmit`` callable (APDU bytes in, response with status word out), so
the PC/SC adapter, the fake reader, the console tools and the virtual cards' issuance all run
this same code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kiosk.adapters import desfire_io, iso_io, mifare_io
from kiosk.adapters.card_access import CardAccess
from kiosk.config.cards import CardKeys
from kiosk.domain.card_auth import AuthBinding, CardProof, Personalised, judge
from kiosk.domain.card_records import RecordRefused, parse_record, unframe
from kiosk.errors import CardIOError

Transmit = Callable[[bytes], bytes]
PCSC_RID = bytes.fromhex("A000000306")
MIFARE_CLASSIC = {b"\x00\x01", b"\x00\x02"}  # 1K and 4K in PC/SC part 3 card names


@dataclass(frozen=True)
class CardRead:
    """What one tap got: the kind, the UID (a DESFire card's real one once it authenticated),
    the record (or None) and the proof of the card's authentication (or None)."""

    kind: str
    uid: bytes
    record: bytes | None = None
    proof: CardProof | None = None


def card_kind(atr: bytes) -> str:
    """'mifare' for MIFARE Classic, 'storage' for other PC/SC storage cards, else 'cpu'."""
    at = atr.find(PCSC_RID)
    if at >= 0 and len(atr) >= at + 8:
        return "mifare" if atr[at + 6:at + 8] in MIFARE_CLASSIC else "storage"
    return "cpu"


def binding_of(record: bytes | None) -> AuthBinding | None:
    """The auth binding a record claims (unverified: the domain checks the signature)."""
    try:
        return parse_record(record).auth if record else None
    except RecordRefused:
        return None


def read_card(transmit: Transmit, atr: bytes, uid: bytes,
              access: CardAccess | CardKeys = CardAccess()) -> CardRead:
    """The card in the field; CardIOError if it fails half-way."""
    access = CardAccess.of(access)
    kind = card_kind(atr)
    if kind == "storage":
        return CardRead("uid", uid)
    if kind == "mifare":
        return CardRead("mifare", uid, unframe(mifare_io.read(transmit, uid, access) or b""))
    if iso_io.select(transmit, access.keys):
        record = unframe(iso_io.read(transmit))
        binding = binding_of(record)
        if binding and binding.profile == "cpu-ecc":
            return CardRead("cpu-ecc", uid, record, iso_io.challenge(transmit))
        return CardRead("cpu", uid, record)
    state = desfire_io.select(transmit)
    if state is None:
        return CardRead("uid", uid)
    if state is False:
        return CardRead("desfire", uid)
    real_uid, framed, proof = desfire_io.read(transmit, uid, access)
    return CardRead("desfire", real_uid, unframe(framed) if framed else None, proof)


def personalise(transmit: Transmit, uid: bytes, kind: str, access: CardAccess) -> Personalised:
    """At issuance, before the record is signed: give the card its keys. A MIFARE Classic card
    gets its own sector keys; a CPU card whose applet makes keys becomes ``cpu-ecc`` (its new
    public key goes into the record); a DESFire card gets the kiosk application and its keys."""
    if kind == "mifare":
        mifare_io.personalise(transmit, uid, access)
        return Personalised("mifare", uid)
    if kind in ("cpu", "cpu-ecc"):
        public_key = iso_io.generate_key(transmit, access.keys)
        if public_key is None:
            return Personalised("cpu", uid)
        return Personalised("cpu-ecc", uid, AuthBinding("cpu-ecc", public_key=public_key))
    if kind == "desfire":
        real_uid, version = desfire_io.personalise(transmit, uid, access)
        assert access.keyring is not None  # desfire_io.personalise refuses without one
        return Personalised("desfire", real_uid, AuthBinding(
            "desfire", township=access.keyring.township, key_version=version))
    raise CardIOError("write: this card has no kiosk storage")


def write_record(transmit: Transmit, kind: str, framed: bytes,
                 access: CardAccess | CardKeys = CardAccess(), uid: bytes = b"") -> None:
    """Write a framed record; the caller reads it back to be sure (``write_and_check``)."""
    access = CardAccess.of(access)
    if kind == "mifare":
        mifare_io.write(transmit, uid, framed, access)
    elif kind in ("cpu", "cpu-ecc"):
        iso_io.write(transmit, access.keys, framed)
    elif kind == "desfire":
        desfire_io.write(transmit, uid, framed, access)
    else:
        raise CardIOError("write: this card has no kiosk storage")


def write_and_check(transmit: Transmit, atr: bytes, uid: bytes, kind: str, framed: bytes,
                    access: CardAccess | CardKeys, fresh: Callable[[], None] = lambda: None
                    ) -> bytes | None:
    """Write, read back as a tap would (``fresh`` starts a new card session first) and, for a
    card that authenticates, have it prove itself once: the record read back, or CardIOError."""
    access = CardAccess.of(access)
    record = parse_record(framed[2:]) if framed[2:4] == b"KC" else None
    write_record(transmit, kind, framed, access, record.uid if record else uid)
    fresh()
    back = read_card(transmit, atr, uid, access)
    binding = binding_of(back.record)
    if binding is not None and judge(binding, back.proof) != "verified":
        raise CardIOError(f"authenticate: the new card did not prove itself ({back.proof})")
    return back.record
