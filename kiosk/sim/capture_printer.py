"""A capture printer on 127.0.0.1: records what it is sent, answers DLE EOT like a real one.

Used by the tests (paper-out, cover open, offline, silence) and by `kiosk demo`,
which shows the captured receipts. One TCP connection's non-status bytes are one job.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

from kiosk.ports import PrinterState

# Reply byte to DLE EOT n (1 printer, 2 offline cause, 4 paper sensor), per state.
REPLIES = {
    PrinterState.READY: {1: 0x12, 2: 0x12, 4: 0x12},
    PrinterState.PAPER_OUT: {1: 0x1A, 2: 0x32, 4: 0x72},
    PrinterState.COVER_OPEN: {1: 0x1A, 2: 0x16, 4: 0x12},
    PrinterState.OFFLINE: {1: 0x1A, 2: 0x12, 4: 0x12},
}


class CapturePrinter:
    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 on_job: Callable[[bytes], None] | None = None):
        self.state = PrinterState.READY  # NO_ANSWER: stays silent to status queries
        self.jobs: list[bytes] = []
        self.discarded: list[bytes] = []  # sent while not ready: a real printer would lose them
        self.on_job = on_job
        self._server = socket.create_server((host, port))
        self.host, self.port = host, self._server.getsockname()[1]
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True, name="capture-printer").start()

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        job = bytearray()
        with conn:
            conn.settimeout(10)
            try:
                while chunk := conn.recv(65536):
                    job += self._answer_status(conn, chunk)
            except OSError:
                pass
        if job:
            with self._lock:
                (self.jobs if self.state == PrinterState.READY else self.discarded).append(bytes(job))
            if self.on_job and self.state == PrinterState.READY:
                self.on_job(bytes(job))

    def _answer_status(self, conn: socket.socket, chunk: bytes) -> bytes:
        """Reply to each DLE EOT n in the chunk; return the remaining job bytes."""
        rest, i = bytearray(), 0
        while i < len(chunk):
            if chunk[i:i + 2] == b"\x10\x04" and i + 2 < len(chunk):
                n = chunk[i + 2]
                replies = REPLIES.get(self.state)
                if replies and n in replies:
                    conn.sendall(bytes([replies[n]]))
                i += 3
            else:
                rest.append(chunk[i])
                i += 1
        return bytes(rest)
