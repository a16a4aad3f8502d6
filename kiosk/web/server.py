"""Serving the UI from the station process on a background thread.

Werkzeug's threaded server streams SSE without buffering and is plenty for the
one local browser of a kiosk; it binds to 127.0.0.1 unless configured otherwise.
"""

from __future__ import annotations

import logging
import threading

from werkzeug.serving import make_server

log = logging.getLogger(__name__)


class UiServer:
    def __init__(self, app, host: str, port: int):
        self.server = make_server(host, port, app, threaded=True)
        self.server.daemon_threads = True
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
