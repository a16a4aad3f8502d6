"""Serving the UI from the station process on a background thread.

Werkzeug's threaded server streams SSE without buffering and is plenty for the
one local browser of a kiosk; it binds to 127.0.0.1 unless configured otherwise.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from kiosk.errors import ConfigError

log = logging.getLogger(__name__)


def _check_port_free(host: str, port: int, key: str = "ui.port") -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(key, f"cannot listen on {host}:{port} ({exc.strerror})",
                              f"stop what uses that port, or set another {key}") from exc


class UiServer:
    def __init__(self, app, host: str, port: int):
        _check_port_free(host, port)  # werkzeug would sys.exit() with its own message
        self.server = make_server(host, port, app, threaded=True)
        self.server.daemon_threads = True  # type: ignore[attr-defined]  # threaded=True: a ThreadingMixIn
        self.host, self.port = host, self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, name="ui-server",
                                       daemon=True)

    def start(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.thread.start()
        log.info("touchscreen UI on http://%s:%d/", self.host, self.port)

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


class _NoDelayHandler(WSGIRequestHandler):
    """TCP_NODELAY: a TLS response goes out as several small records (handshake, headers,
    body), which Nagle's algorithm and delayed ACKs would hold back by tens of ms each."""

    disable_nagle_algorithm = True


class DeskServer(UiServer):
    """The technician pages on the LAN: HTTPS only. The TLS handshake happens on each
    connection's own thread (not in accept, where one silent client would hold up every
    desk); a plain-HTTP request fails that handshake and gets no answer."""

    def __init__(self, app, host: str, port: int, context: ssl.SSLContext):
        _check_port_free(host, port, "desk.port")
        self.server = make_server(host, port, app, threaded=True, request_handler=_NoDelayHandler)
        self.server.daemon_threads = True  # type: ignore[attr-defined]  # threaded=True: a ThreadingMixIn
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True,
                                                 do_handshake_on_connect=False)
        self.server.ssl_context = context  # werkzeug then says https in wsgi.url_scheme
        self.server.handle_error = _quiet_tls_errors  # type: ignore[method-assign,assignment]
        self.host, self.port = host, self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, name="desk-server",
                                       daemon=True)

    def start(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.thread.start()
        log.info("technician desk on https://%s:%d/staff/", self.host, self.port)


def _quiet_tls_errors(_request, client_address) -> None:
    """A failed handshake (plain HTTP, an untrusting browser) is one log line, not a trace."""
    import sys
    exc = sys.exc_info()[1]
    if isinstance(exc, (ssl.SSLError, ConnectionError, TimeoutError)):
        log.info("desk connection from %s closed: %s", client_address[0], exc)
    else:
        log.exception("desk request from %s failed", client_address[0])
