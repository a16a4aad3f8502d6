"""A private PostgreSQL server for tests and benchmarks (Debian's postgresql package).

initdb refuses to run as root, so as root the server runs as the `postgres`
system user in a fresh directory under /tmp. It listens on loopback on a free
port with trust authentication for the role `kiosk`; nothing else is touched.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from kiosk.errors import KioskError


class PostgresUnavailable(KioskError, RuntimeError):
    pass


def _bindir() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                      key=lambda p: int(p.parent.parent.name))
    if not versions:
        raise PostgresUnavailable("PostgreSQL is not installed (apt-get install postgresql)")
    return versions[-1].parent


class PostgresHarness:
    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
        self.data, self.port = self.base / "data", 0
        self.started = False

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        result = subprocess.run(prefix + list(args), capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise PostgresUnavailable(f"{args[0]} failed: {result.stderr.strip()[-500:]}")

    def start(self, attempts: int = 3) -> str:
        """initdb and start the server on a free loopback port; another port if that one was
        taken meanwhile (by another test worker's server, say)."""
        bindir = _bindir()
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        self._run(str(bindir / "initdb"), "-D", str(self.data), "-U", "kiosk", "--auth=trust",
                  "-E", "UTF8", "--locale=C")
        for attempt in range(attempts):
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                self.port = probe.getsockname()[1]
            try:
                self._run(str(bindir / "pg_ctl"), "-D", str(self.data), "-w", "-l",
                          str(self.base / "server.log"), "-o",
                          f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1", "start")
            except PostgresUnavailable:
                log = (self.base / "server.log").read_text(errors="replace")
                if "could not bind" not in log or attempt == attempts - 1:
                    raise
                continue
            break
        self.started = True
        return self.dsn("postgres")

    def dsn(self, database: str) -> str:
        return f"postgresql://kiosk@127.0.0.1:{self.port}/{database}"

    def new_database(self, name: str) -> str:
        import psycopg
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def stop(self) -> None:
        if self.started:
            self._run(str(_bindir() / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
            self.started = False
        shutil.rmtree(self.base, ignore_errors=True)
