"""Power cuts for tests and bench/: a directory on kiosk.testing.lazyfs, cut and remounted.

``PowerCutFS(root).mount()`` gives a mount point whose unsynced writes live only in
the file system's own process. ``cut(processes)`` is one power cut: the file system
freezes (no further operation is answered), the given processes are SIGKILLed, the
file system's process is SIGKILLed (its memory, all that was never synced, is gone),
and the dead mount is detached. ``mount()`` again starts a new file-system process
from the synced state alone, with an empty page cache, as a machine that boots again.

A mount that fails raises FuseUnavailable: the tests that need it fail, never skip.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from kiosk.errors import KioskError


class FuseUnavailable(KioskError, RuntimeError):
    """The FUSE layer could not be mounted (no /dev/fuse, fuse3, libfuse3 or mfusepy)."""


def _kill(proc: subprocess.Popen | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGKILL)


class PowerCutFS:
    def __init__(self, root: Path, env: dict[str, str] | None = None):
        self.root, self.env = Path(root), env or {}
        self.backing, self.mountpoint = self.root / "backing", self.root / "mnt"
        # an abstract socket: no path, so no 108-byte limit however deep tmp_path is
        self.control = f"kiosk-lazyfs-{uuid.uuid4().hex}"
        self.proc: subprocess.Popen | None = None
        self.cuts = 0
        self.backing.mkdir(parents=True, exist_ok=True)
        self.mountpoint.mkdir(parents=True, exist_ok=True)

    def mount(self, timeout: float = 15.0) -> Path:
        if not shutil.which("fusermount3") or not os.path.exists("/dev/fuse"):
            raise FuseUnavailable("FUSE needs /dev/fuse and fusermount3 (Debian: fuse3, libfuse3-3)")
        log = open(self.root / "lazyfs.log", "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk.testing.lazyfs", str(self.backing), str(self.mountpoint),
             self.control], stdout=log, stderr=log, stdin=subprocess.DEVNULL,
            env={**os.environ, **self.env})
        log.close()
        deadline = time.monotonic() + timeout
        while not (os.path.ismount(self.mountpoint) and self._answers()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                _kill(self.proc)
                tail = (self.root / "lazyfs.log").read_text(errors="replace")[-2000:]
                raise FuseUnavailable(f"lazyfs did not mount on {self.mountpoint}: {tail}")
            time.sleep(0.01)
        return self.mountpoint

    def _answers(self) -> bool:
        try:
            return self.command("stats", timeout=2.0).startswith("{")
        except OSError:
            return False

    def command(self, line: str, timeout: float = 30.0) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect("\0" + self.control)
            conn.sendall(line.encode() + b"\n")
            return conn.makefile().readline().strip()

    def sync_all(self) -> None:
        """Make everything durable, as a clean shutdown would."""
        if self.command("sync_all") != "ok":
            raise RuntimeError("lazyfs: sync_all failed")

    def cut(self, processes: Iterable[subprocess.Popen | None] = (), torn_seed: int | None = None
            ) -> int:
        """One power cut; returns how many files kept a torn prefix of their last write."""
        answer = self.command("cut" if torn_seed is None else f"cut torn {torn_seed}")
        procs = list(processes)
        for proc in procs:  # frozen file system: they cannot write again, so kill them now
            _kill(proc)
        self._stop()
        for proc in procs:
            if proc is not None:
                proc.wait()
        self.cuts += 1
        return int(answer.split()[1])

    def _stop(self) -> None:
        _kill(self.proc)
        if self.proc is not None:
            self.proc.wait()
        self.proc = None
        subprocess.run(["fusermount3", "-u", "-z", str(self.mountpoint)], capture_output=True)

    def unmount(self) -> None:
        """Stop without a cut's freeze (the tests' tear-down): only synced data stays."""
        self._stop()
