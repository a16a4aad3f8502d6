"""vpcd's wire protocol: a card "is placed" by connecting to a reader slot's TCP port
and "removed" by closing it; frames are a 2-byte big-endian length and a payload."""

from __future__ import annotations

import socket
import struct
import threading
import time
from typing import TYPE_CHECKING

from kiosk.errors import KioskError

if TYPE_CHECKING:
    from kiosk.sim.virtual_card import VirtualCard


QUIET_SECONDS = 0.06


class CardVanished(KioskError):
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
        # After the UID read the card counts as read once QUIET_SECONDS pass without another
        # APDU. pcscd's presence polls (ATR requests, one-byte frames) keep coming meanwhile,
        # as often as its poll allows (kiosk.sim.pcscd), so they do not count as the reader's.
        quiet_until: float | None = None
        try:
            sock.settimeout(None)
            while True:
                if quiet_until is not None:
                    left = quiet_until - time.monotonic()
                    if left <= 0:  # the reader went quiet after the UID: it is done
                        quiet_until = None
                        self.uid_read.set()
                    sock.settimeout(None if quiet_until is None else left)
                try:
                    payload = _recv_frame(sock)
                except TimeoutError:  # nothing came in the quiet time: said at the top
                    continue
                if payload is None:
                    return
                if len(payload) == 1:
                    if payload[0] == 4:
                        _send_frame(sock, card.atr)
                    elif payload[0] in (1, 2):
                        card.reset()
                        self.powered_on.set()
                    continue
                self.apdus_seen += 1
                if card.vanish_on_read and payload[:2] == b"\xFF\xCA":
                    raise CardVanished
                _send_frame(sock, card.respond(payload))
                if payload[:2] == b"\xFF\xCA" or quiet_until is not None:
                    quiet_until = time.monotonic() + QUIET_SECONDS  # done once no record read follows
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
        # vpcd writes a frame's length and payload separately; with Nagle on its side and
        # delayed ACKs on ours each APDU would wait 40 ms, so acknowledge at once.
        if hasattr(socket, "TCP_QUICKACK"):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
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


def tap(port: int, card: VirtualCard, hold: float = 1.0, host: str = "127.0.0.1",
        linger: float = 0.05) -> bool:
    """Place the card, wait until it was read (or ``hold`` passed), keep it there ``linger``
    seconds more (long enough for a card issuance to write it), then remove it."""
    slot = VirtualCardSlot(port, host)
    slot.place(card)
    try:
        return slot.uid_read.wait(hold)
    finally:
        time.sleep(linger)
        slot.remove()
