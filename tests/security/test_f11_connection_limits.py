"""Finding 11: half-open connections must not take the county receiver down, and nothing
shows it listening on every interface."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_county(data_dir: Path, port: int, *options: str) -> subprocess.Popen:
    from kiosk.county.cli import main
    assert CliRunner().invoke(main, ["--data-dir", str(data_dir), "init"]).exit_code == 0
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.county", "--data-dir", str(data_dir),
                             "serve", "--port", str(port), *options],
                            stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("county did not start")


def test_f11_half_open_connections_do_not_starve_healthz(tmp_path):
    port = _free_port()
    county = _start_county(tmp_path / "county", port, "--channel-timeout", "3")
    half_open = []
    try:
        for _ in range(150):  # waitress's default limit is 100
            conn = socket.create_connection(("127.0.0.1", port), timeout=5)
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: county\r\n")  # and never finish
            half_open.append(conn)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            assert answer.status == 200
        # the idle ones are closed after the channel timeout (3 s, checked every 3 s)
        conn = half_open[0]
        conn.settimeout(15)
        started = time.monotonic()
        assert conn.recv(1024) == b"" and time.monotonic() - started < 12
    finally:
        for conn in half_open:
            conn.close()
        county.terminate()
        county.wait(timeout=10)


def test_f11_no_example_listens_on_every_interface():
    from kiosk.county.cli import main
    from kiosk.county.cli.serve import waitress_settings
    help_text = CliRunner().invoke(main, ["serve", "--help"]).output
    assert "0.0.0.0" not in help_text and "--connection-limit" in help_text
    for doc in ("docs/sync-protocol.md", "docs/deploy.md", "README.md"):
        assert "0.0.0.0" not in (ROOT / doc).read_text(encoding="utf-8"), doc
    assert "proxy_pass http://127.0.0.1:8700" in (ROOT / "docs/deploy.md").read_text()
    settings = waitress_settings(500, 15)
    assert settings["connection_limit"] == 500 and settings["channel_timeout"] == 15
