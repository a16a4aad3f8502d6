"""APDU exchange over pyscard's scard API, and issuance steps on a card still on a named reader."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from kiosk.adapters.card_access import CardAccess
from kiosk.adapters.card_io import personalise, write_and_check
from kiosk.domain.card_auth import Personalised
from kiosk.domain.cards import random_uid
from kiosk.errors import CardIOError, KioskError

GET_UID = bytes([0xFF, 0xCA, 0x00, 0x00, 0x00])
T = TypeVar("T")


class CardGone(KioskError):
    """SCardTransmit failed: the card left the field or the reader went away."""

    def __init__(self, hr: int):
        super().__init__(hr)
        self.hr = hr


def transmitter(sc, card: int, protocol: int):
    def transmit(apdu: bytes) -> bytes:
        hr, response = sc.SCardTransmit(card, protocol, list(apdu))
        if hr & 0xFFFFFFFF:
            raise CardGone(hr & 0xFFFFFFFF)
        return bytes(response)
    return transmit


def on_reader(sc, reader: str, uid: bytes, work: Callable[..., T], kind: str = "") -> T:
    """Run ``work(transmit, atr)`` on the card now on ``reader`` (it must still be ``uid``), on
    the caller's thread with its own PC/SC context, beside the reader loop's."""
    hr, ctx = sc.SCardEstablishContext(sc.SCARD_SCOPE_USER)
    if hr & 0xFFFFFFFF:
        raise CardIOError("connect to the reader service")
    try:
        hr, card, protocol = sc.SCardConnect(ctx, reader, sc.SCARD_SHARE_SHARED,
                                             sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1)
        if hr & 0xFFFFFFFF:
            raise CardIOError("connect to the card")
        try:
            transmit = transmitter(sc, card, protocol)
            seen = transmit(GET_UID)[:-2]
            # a random-UID DESFire card's tap reported its real UID (from GetCardUID): its
            # keys, diversified from that UID, are what tell it from another card there
            if seen != uid and not (kind == "desfire" and random_uid(seen)):
                raise CardIOError("the card on the reader changed")
            hr, _reader, _state, _protocol, atr = sc.SCardStatus(card)
            return work(transmit, bytes(atr))
        except CardGone as gone:
            raise CardIOError(f"card left the reader ({sc.SCardGetErrorMessage(gone.hr)})") from None
        finally:
            sc.SCardDisconnect(card, sc.SCARD_LEAVE_CARD)
    finally:
        sc.SCardReleaseContext(ctx)


def personalise_on_reader(sc, access: CardAccess, reader: str, uid: bytes,
                          kind: str) -> Personalised:
    return on_reader(sc, reader, uid, lambda transmit, atr: personalise(transmit, uid, kind, access),
                     kind)


def write_on_reader(sc, access: CardAccess, reader: str, uid: bytes, kind: str,
                    framed: bytes) -> bytes | None:
    """Write a framed record onto the card now on ``reader``, read it back and, for a card
    that authenticates, have it prove itself once; return what the card holds."""
    return on_reader(sc, reader, uid, lambda transmit, atr: write_and_check(
        transmit, atr, uid, kind, framed, access), kind)
