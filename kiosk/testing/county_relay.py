"""A real county (`kiosk-county serve` on loopback) with a county card key, for the tests and
bench/ of cards relayed between townships: stations enrolled, their roster shared."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from kiosk.testing.cards import COUNTY_CARD_KEY


class CountyForStations:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.proc: subprocess.Popen | None = None
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.public_key = self._cli("init").split("public key (hex): ")[1].strip()
        path = data_dir / "card.key"  # a known county card key, as the stations' files use
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(COUNTY_CARD_KEY.hex())

    def _cli(self, *args: str) -> str:
        from kiosk.county.cli import main
        result = CliRunner().invoke(main, ["--data-dir", str(self.data_dir), *args])
        assert result.exit_code == 0, result.output
        return result.output

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def station_config(self) -> str:
        """The [county] section for a station's config."""
        return f'\n[county]\nurl = "{self.url}"\npublic_key = "{self.public_key}"\n'

    def enrol(self, config_path: Path) -> None:
        from kiosk.config.loader import load_config
        from kiosk.keys import load_key_file
        config = load_config(config_path)
        public = load_key_file(config.station.key_file).public_bytes().hex()
        self._cli("enroll", "--station", config.station.id, "--pubkey", public)

    def start(self) -> None:
        log = open(self.data_dir / "county.log", "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk.county", "--data-dir", str(self.data_dir), "serve",
             "--port", str(self.port)], stderr=log, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        log.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("county did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def share_roster(self, *config_paths: Path) -> None:
        """Each station pushes and pulls, twice round (as `kiosk sync --once`, stations stopped)."""
        from kiosk.bootstrap import build_core, build_sync_worker
        from kiosk.config.loader import load_config
        for _ in range(2):
            for path in config_paths:
                core = build_core(load_config(path))
                try:
                    worker, roster = build_sync_worker(core)
                    worker.push_pending()
                    roster()
                finally:
                    core.close()

    def log(self) -> str:
        path = self.data_dir / "county.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def __enter__(self) -> CountyForStations:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
