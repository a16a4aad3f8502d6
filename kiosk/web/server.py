"""Serving the UI from the station process on a background thread.

Werkzeug's threaded server streams SSE without buffering and is plenty for the
one local browser of a kiosk; it binds to 127.0.0.1 unless configured otherwise.
"""

from __future__ import annotations

import logging
import socket
import threading

from werkzeug.serving import make_server

from kiosk.errors import ConfigError

log = logging.getLogger(__name__)


def _check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError("ui.port", f"cannot listen on {host}:{port} ({exc.strerror})",
                              "stop what uses that port, or set another ui.port") from exc


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
