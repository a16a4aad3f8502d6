"""The project's virtual contactless card, speaking vpcd's protocol over TCP.

vsmartcard's ``vpcd`` pcscd driver listens on a TCP port per reader slot; a
virtual card "is placed" by connecting and "removed" by closing. Frames are a
2-byte big-endian length and a payload: a 1-byte payload is a control code
(0 power off, 1 power on, 2 reset, 4 send the ATR), anything else is a command
APDU to answer with a response APDU. This is both the demo reader and the test
card; it answers the PC/SC "get UID" pseudo-APDU FF CA 00 00 00 like a
contactless reader does for the card in its field.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from dataclasses import dataclass

# ATR a PC/SC contactless reader reports for an ISO 14443-A storage card (PC/SC part 3).
DEFAULT_ATR = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")
SW_OK = b"\x90\x00"
SW_INS_NOT_SUPPORTED = b"\x6D\x00"
SW_WRONG_P1P2 = b"\x6A\x86"


@dataclass
class VirtualCard:
    """A card with a UID; ``vanish_on_read`` simulates pulling it away mid-read."""

    uid: bytes
    atr: bytes = DEFAULT_ATR
    vanish_on_read: bool = False
    answers_uid: bool = True

    def respond(self, apdu: bytes) -> bytes:
        if apdu[:2] == b"\xFF\xCA":
            if not self.answers_uid:
                return SW_INS_NOT_SUPPORTED
            if apdu[2] == 0x00:
                le = apdu[4] if len(apdu) > 4 else 0
                data = self.uid if le in (0, len(self.uid)) else self.uid[:le]
                return data + SW_OK
            return SW_WRONG_P1P2
        return SW_INS_NOT_SUPPORTED


class CardVanished(Exception):
    """Raised inside the serving loop to drop the connection like a card leaving the field."""


class VirtualCardSlot:
    """One vpcd reader slot: place a card (connect), remove it (close)."""

    def __init__(self, port: int, host: str = "127.0.0.1"):
        self.host, self.port = host, port
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.apdus_seen = 0
        self.powered_on = threading.Event()
        self.uid_read = threading.Event()

    def place(self, card: VirtualCard, connect_timeout: float = 5.0) -> None:
        self.remove()
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self.powered_on.clear()
        self.uid_read.clear()
        self._thread = threading.Thread(target=self._serve, args=(sock, card), daemon=True,
                                        name=f"vicc-{self.port}")
        self._thread.start()

    def remove(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None

    @property
    def occupied(self) -> bool:
        return self._sock is not None

    def _serve(self, sock: socket.socket, card: VirtualCard) -> None:
        try:
            sock.settimeout(None)
            while True:
                payload = _recv_frame(sock)
                if payload is None:
                    return
                if len(payload) == 1:
                    if payload[0] == 4:
                        _send_frame(sock, card.atr)
                    elif payload[0] in (1, 2):
                        self.powered_on.set()
                    continue
                self.apdus_seen += 1
                if card.vanish_on_read and payload[:2] == b"\xFF\xCA":
                    raise CardVanished
                _send_frame(sock, card.respond(payload))
                if payload[:2] == b"\xFF\xCA":
                    self.uid_read.set()
        except (OSError, CardVanished):
            pass
        finally:
            if self._sock is sock:
                self._sock = None
            try:
                sock.close()
            except OSError:
                pass


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _recv_frame(sock: socket.socket) -> bytes | None:
    header = _recv_exact(sock, 2)
    if header is None:
        return None
    (length,) = struct.unpack(">H", header)
    return _recv_exact(sock, length) if length else b""


def _send_frame(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(struct.pack(">H", len(payload)) + payload)


def tap(port: int, card: VirtualCard, hold: float = 1.0, host: str = "127.0.0.1") -> bool:
    """Place the card, wait until its UID was read (or ``hold`` passed), then remove it."""
    slot = VirtualCardSlot(port, host)
    slot.place(card)
    try:
        return slot.uid_read.wait(hold)
    finally:
        time.sleep(0.05)
        slot.remove()
