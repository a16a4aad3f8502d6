"""Serving the UI and the desk from the station process, each on its own threads.

Werkzeug's threaded server streams SSE without buffering and is plenty for the kiosk's one
local browser and a few desks. It gives every connection a thread, so both listeners bound
what a stranger on the LAN can hold (docs/security.md, finding N4):

- connections per address and in all, and new connections per address and second
  (``Limits``); a connection beyond them is closed at once, before any thread or TLS
  handshake is spent on it. The station's own browser (loopback) has a budget of its own, so
  the LAN cannot crowd out the touchscreen;
- a deadline of ``REQUEST_SECONDS`` from accept to the whole request (the desk's TLS
  handshake included): a connection that is silent or trickles is shut then, and each read
  waits at most that long;
- refused connections and failed handshakes make at most one log line a minute per listener.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from kiosk.errors import ConfigError

log = logging.getLogger(__name__)
LOCAL = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})  # the station itself
REQUEST_SECONDS = 10.0


@dataclass(frozen=True)
class Limits:
    per_address: int  # open connections from one LAN address
    total: int  # open connections from the LAN in all
    local: int  # open connections from the station itself (its own browser), apart
    per_second: float = 10.0  # new connections a LAN address may open per second, on average
    burst: int = 30  # ... and at once (a page and its files)


UI_LIMITS = Limits(per_address=8, total=32, local=64)  # the LAN sees /display only (N15)
DESK_LIMITS = Limits(per_address=12, total=64, local=32)
MAX_BUCKETS = 1024  # LAN addresses whose connection rate is remembered


class ConnectionGate:
    """Counts open connections per address and new ones per LAN address (a token bucket);
    ``admit`` says whether one more may open."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self._lock = threading.Lock()
        self._open: dict[str, int] = {}
        self._buckets: dict[str, tuple[float, float]] = {}  # address: (tokens, when)
        self._lan = self._local = 0
        self.refused = 0

    def admit(self, address: str) -> bool:
        with self._lock:
            if address in LOCAL:
                if self._local >= self.limits.local:
                    self.refused += 1
                    return False
                self._local += 1
            else:
                if (self._lan >= self.limits.total
                        or self._open.get(address, 0) >= self.limits.per_address
                        or not self._spend(address)):
                    self.refused += 1
                    return False
                self._lan += 1
            self._open[address] = self._open.get(address, 0) + 1
            return True

    def _spend(self, address: str) -> bool:
        """Caller holds the lock: one token of this address's bucket, if it has one."""
        now = time.monotonic()
        limits = self.limits
        if len(self._buckets) >= MAX_BUCKETS and address not in self._buckets:
            self._buckets = {a: (t, w) for a, (t, w) in self._buckets.items()
                             if t + (now - w) * limits.per_second < limits.burst}
        tokens, when = self._buckets.get(address, (float(limits.burst), now))
        tokens = min(float(limits.burst), tokens + (now - when) * limits.per_second)
        if tokens < 1:
            self._buckets[address] = (tokens, now)
            return False
        self._buckets[address] = (tokens - 1, now)
        return True

    def release(self, address: str) -> None:
        with self._lock:
            left = self._open.get(address, 0) - 1
            if left > 0:
                self._open[address] = left
            else:
                self._open.pop(address, None)
            if address in LOCAL:
                self._local -= 1
            else:
                self._lan -= 1


class Deadlines:
    """One thread per listener shuts connections whose request is not in by its deadline
    (a read's own timeout cannot stop a client that sends a byte every few seconds)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._lock = threading.Lock()
        self._due: dict[socket.socket, float] = {}
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="request-deadlines", daemon=True)

    def start(self, sock: socket.socket) -> None:
        with self._lock:
            self._due[sock] = time.monotonic() + self.seconds

    def done(self, sock: socket.socket) -> None:
        with self._lock:
            self._due.pop(sock, None)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            now = time.monotonic()
            with self._lock:
                late = [s for s, due in self._due.items() if due < now]
                for sock in late:
                    del self._due[sock]
            for sock in late:
                try:  # the plain socket's shutdown: an SSLSocket's would drop its TLS state
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        self._stop.set()


class _Handler(WSGIRequestHandler):
    """TCP_NODELAY: a TLS response goes out as several small records (handshake, headers,
    body), which Nagle's algorithm and delayed ACKs would hold back by tens of ms each. The
    request is in once its headers are (GET, HEAD) or once the app answers (it read the body)."""

    disable_nagle_algorithm = True
    timeout = REQUEST_SECONDS  # each read of the handshake and request
    server: GatedServer

    def setup(self) -> None:
        self.server.deadlines.start(self.request)
        super().setup()

    def run_wsgi(self) -> None:
        if self.command in ("GET", "HEAD"):
            self.server.deadlines.done(self.request)
        super().run_wsgi()

    def send_response(self, code: int, message: str | None = None) -> None:
        self.server.deadlines.done(self.request)
        super().send_response(code, message)

    def log_error(self, format: str, *args) -> None:  # noqa: A002  (http.server's name)
        """Failed handshakes and bad request lines: rate-limited, never one line each."""
        self.server.note(f"connection from {self.client_address[0]}: {format % args}")


class GatedServer(ThreadedWSGIServer):
    """Werkzeug's threaded server with a ConnectionGate and Deadlines."""

    daemon_threads = True

    def __init__(self, host: str, port: int, app, limits: Limits, name: str,
                 tls: ssl.SSLContext | None = None):
        super().__init__(host, port, app, handler=_Handler)
        self.gate, self.deadlines, self.name = ConnectionGate(limits), Deadlines(REQUEST_SECONDS), name
        self.tls = self.ssl_context = tls  # werkzeug then says https in wsgi.url_scheme
        self._noted, self._refused_noted = 0.0, 0

    def process_request(self, request, client_address) -> None:  # type: ignore[override]
        if not self.gate.admit(client_address[0]):
            self.shutdown_request(request)
            self.note(f"connection from {client_address[0]} refused: too many open")
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.gate.release(client_address[0])
            raise

    def process_request_thread(self, request, client_address) -> None:  # type: ignore[override]
        """The connection's own thread: TLS is set up here (the handshake then runs on its
        first read), never in accept, where a refused or silent client would cost everyone."""
        try:
            if self.tls is not None:
                try:
                    request = self.tls.wrap_socket(request, server_side=True,
                                                   do_handshake_on_connect=False)
                except (ssl.SSLError, OSError) as exc:
                    self.note(f"connection from {client_address[0]} closed: {exc}")
                    self.shutdown_request(request)
                    return
            super().process_request_thread(request, client_address)
        finally:
            self.deadlines.done(request)
            self.gate.release(client_address[0])

    def note(self, line: str) -> None:
        """At most one log line a minute, with how many connections were refused since."""
        now = time.monotonic()
        if now - self._noted >= 60:
            refused = self.gate.refused - self._refused_noted
            self._noted, self._refused_noted = now, self.gate.refused
            log.info("%s: %s (%d connections refused in the last minute)", self.name, line,
                     refused)

    def handle_error(self, request, client_address) -> None:  # type: ignore[override]
        """A failed handshake (plain HTTP, an untrusting browser) or a dropped connection is
        a rate-limited log line, not a trace."""
        import sys
        exc = sys.exc_info()[1]
        if isinstance(exc, (ssl.SSLError, ConnectionError, TimeoutError, OSError)):
            self.note(f"connection from {client_address[0]} closed: {exc}")
        else:
            log.exception("%s: request from %s failed", self.name, client_address[0])


def _check_port_free(host: str, port: int, key: str = "ui.port") -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(key, f"cannot listen on {host}:{port} ({exc.strerror})",
                              f"stop what uses that port, or set another {key}") from exc


class UiServer:
    name, key, limits = "touchscreen UI", "ui.port", UI_LIMITS

    def __init__(self, app, host: str, port: int, context: ssl.SSLContext | None = None):
        _check_port_free(host, port, self.key)  # werkzeug would sys.exit() with its own message
        self.server = GatedServer(host, port, app, self.limits, self.name, context)
        self.host, self.port = host, self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, name=self.name,
                                       daemon=True)

    def start(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.server.deadlines.thread.start()
        self.thread.start()
        log.info("%s on %s://%s:%d/", self.name, "https" if self.server.ssl_context else "http",
                 self.host, self.port)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.deadlines.stop()
        self.thread.join(timeout=5)


class DeskServer(UiServer):
    """The technician pages on the LAN: HTTPS only; a plain-HTTP request fails the handshake
    and gets no answer."""

    name, key, limits = "technician desk", "desk.port", DESK_LIMITS
