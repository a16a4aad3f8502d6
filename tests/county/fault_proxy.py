"""A TCP proxy for HTTP/1.1 requests that misbehaves like a rural network.

Per request, at random: drop the connection half-way through the request, drop
the answer after the county processed the request (the acknowledgement is lost),
delay, or send the request to the county twice. Requests must carry
Content-Length and "Connection: close" (urllib's defaults).
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections import Counter


def _read_request(conn: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head + b"\r\n\r\n" + body


def _exchange(upstream: tuple[str, int], request: bytes) -> bytes:
    with socket.create_connection(upstream, timeout=30) as up:
        up.sendall(request)
        answer = b""
        while chunk := up.recv(65536):
            answer += chunk
    return answer


class FaultProxy:
    def __init__(self, upstream_port: int, drop: float = 0.2, duplicate: float = 0.1,
                 delay: float = 0.2, seed: int = 5, drop_answer: float = 0.1):
        self.upstream = ("127.0.0.1", upstream_port)
        self.drop, self.drop_answer = drop, drop_answer  # mid-request; after processing
        self.duplicate, self.delay = duplicate, delay
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _roll(self) -> tuple[float, float, float]:
        with self.lock:
            return self.rng.random(), self.rng.random(), self.rng.random()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        fault, dup, wait = self._roll()
        try:
            request = _read_request(conn)
            if request is None:
                return
            time.sleep(wait * self.delay)
            if fault < self.drop:  # the connection dies mid-request: the county sees a stump
                self.counts["dropped_request"] += 1
                with socket.create_connection(self.upstream, timeout=5) as up:
                    up.sendall(request[:len(request) // 2])
                return
            answer = _exchange(self.upstream, request)
            if dup < self.duplicate:  # the same request arrives twice
                self.counts["duplicated"] += 1
                _exchange(self.upstream, request)
            if fault < self.drop + self.drop_answer:  # processed, but the answer is lost
                self.counts["dropped_answer"] += 1
                return
            self.counts["passed"] += 1
            conn.sendall(answer)
        except OSError:
            self.counts["upstream_error"] += 1
        finally:
            conn.close()

    def close(self) -> None:
        self._stop = True
        self.sock.close()
