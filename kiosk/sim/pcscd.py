"""Run a private pcscd with the vsmartcard vpcd driver: for tests, benchmarks and `kiosk demo`.

pcscd is given its own listening socket the way systemd socket activation does
(LISTEN_FDS), and its own reader.conf.d via ``-c``, so it never touches
``/run/pcscd`` and runs beside a system pcscd. Clients find it through
PCSCLITE_CSOCK_NAME. Each vpcd entry gives two reader slots on consecutive TCP
ports; the project's virtual card (kiosk.sim.virtual_card) connects there.
One vpcd entry per pcscd: the driver keeps its slots in globals, so two entries
in one daemon report each other's cards. vpcd listens on every interface, so where
user namespaces allow it pcscd runs in a network namespace of its own and the ports
are relayed from 127.0.0.1 (kiosk.sim.vpcd_relay).

``poll_ms`` shortens pcscd's card-presence poll (a compile-time 400 ms in pcscd 1.9.9, used for
drivers without a polling thread of their own, as vpcd): kiosk/sim/pcscd_poll.c, built here with
the C compiler and preloaded into this pcscd only. The tests ask for it (tests/conftest.py): a
tap waited for two of those polls, placing and removing, which USB CCID readers never do.
Without a compiler pcscd keeps its own poll, and only the waits are longer.

Harnesses in different processes (the demo beside a test run, parallel test workers) must not
pick the same ports, nor take a port another one frees for a moment while it restarts pcscd: a
harness reserves its base port for its whole life with an advisory lock on a file in the
temporary directory, which the kernel drops when the process ends.
"""

from __future__ import annotations

import fcntl
import functools
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from pathlib import Path

from kiosk.config.loader import VPCD_PORT
from kiosk.errors import KioskError

log = logging.getLogger(__name__)
POLL_SHIM_SOURCE = Path(__file__).with_name("pcscd_poll.c")
PCSCD_STATUS_POLL_MS = 400  # pcscd 1.9.9's PCSCLITE_STATUS_POLL_RATE

VPCD_DRIVER_CANDIDATES = (
    "/usr/lib/pcsc/drivers/serial/libifdvpcd.so",
    "/usr/lib64/pcsc/drivers/serial/libifdvpcd.so",
)


def stop_process(proc: subprocess.Popen | None, timeout: float = 5.0) -> None:
    """SIGTERM, then SIGKILL if it has not gone within ``timeout`` seconds."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class HarnessError(KioskError, RuntimeError):
    """pcscd or the vpcd driver is missing or would not start."""


def find_vpcd_driver() -> str | None:
    return next((p for p in VPCD_DRIVER_CANDIDATES if os.path.exists(p)), None)


def find_pcscd() -> str | None:
    return shutil.which("pcscd") or next(
        (p for p in ("/usr/sbin/pcscd", "/sbin/pcscd") if os.path.exists(p)), None)


@functools.lru_cache(maxsize=1)
def can_isolate() -> bool:
    """Whether this machine lets us start pcscd in its own user and network namespace."""
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--net", "true"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return probe.returncode == 0


def build_poll_shim(directory: Path) -> Path | None:
    """kiosk/sim/pcscd_poll.c as a shared library in ``directory``; None without a compiler."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        log.warning("no C compiler: the private pcscd keeps its %d ms card poll",
                    PCSCD_STATUS_POLL_MS)
        return None
    library = directory / "pcscd_poll.so"
    if not library.exists():
        built = subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", str(library),
                                str(POLL_SHIM_SOURCE), "-ldl"], capture_output=True, text=True)
        if built.returncode != 0:
            log.warning("pcscd_poll.c did not build (%s): the private pcscd keeps its %d ms "
                        "card poll", built.stderr.strip()[-300:], PCSCD_STATUS_POLL_MS)
            return None
    return library


def _ports_free(ports: list[int]) -> bool:
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind(("0.0.0.0", port))
            except OSError:
                return False
    return True


def reserve_port(port: int) -> int | None:
    """Lock ``port`` against the other harnesses on this machine: the lock's descriptor, or
    None when another harness holds it (closing the descriptor gives the port back)."""
    path = Path(tempfile.gettempdir()) / f"kiosk-vpcd-{port}.lock"
    try:
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o666)
    except OSError:  # made by another user without write access for us: treat as taken
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def pick_base_port(count: int, start: int = VPCD_PORT) -> tuple[int, int]:
    """A base port with ``count`` free ports from it, reserved: (port, lock descriptor)."""
    for base in list(range(start, start + 400, 2)) + list(range(40000, 60000, 97)):
        lock = reserve_port(base)
        if lock is None:
            continue
        if _ports_free(list(range(base, base + count))):
            return base, lock
        os.close(lock)
    raise HarnessError("no free TCP ports for vpcd")


class PcscdHarness:
    """A private pcscd with one vpcd entry: two reader slots on consecutive ports."""

    def __init__(self, workdir: Path, base_port: int | None = None, poll_ms: int | None = None):
        self.workdir = Path(workdir)
        self.poll_ms = poll_ms  # pcscd's card-presence poll (None: its own 400 ms)
        lock = None
        if base_port is None:
            base_port, lock = pick_base_port(2)
        self.base_port = base_port
        self._reservation = lock
        if lock is not None:
            weakref.finalize(self, os.close, lock)
        self.with_reader = True
        self.socket_path = self.workdir / "pcscd.comm"
        self.conf_dir = self.workdir / "reader.conf.d"
        self.log_path = self.workdir / "pcscd.log"
        self.ready_path = self.workdir / "vpcd-relay.ready"
        self.proc: subprocess.Popen | None = None
        self.isolated = False  # vpcd in its own network namespace, reached only via loopback

    @property
    def slot_ports(self) -> list[int]:
        return [self.base_port, self.base_port + 1]

    @property
    def reader_names(self) -> list[str]:
        return ["Kiosk Virtual Reader 00 00", "Kiosk Virtual Reader 00 01"]

    def env(self) -> dict[str, str]:
        return {"PCSCLITE_CSOCK_NAME": str(self.socket_path)}

    def _write_conf(self) -> None:
        conf = self.conf_dir / "vpcd"
        conf.unlink(missing_ok=True)
        if self.with_reader:
            port = self.base_port
            conf.write_text(f'FRIENDLYNAME "Kiosk Virtual Reader"\nDEVICENAME /dev/null:{port}\n'
                            f"LIBPATH {find_vpcd_driver()}\nCHANNELID {port}\n")

    def start(self, timeout: float = 10.0) -> None:
        pcscd, driver = find_pcscd(), find_vpcd_driver()
        if not pcscd or not driver:
            raise HarnessError("pcscd and the vpcd driver are needed: apt-get install pcscd "
                               "vsmartcard-vpcd (./setup.sh test does this)")
        if self._reservation is None:
            self._reservation = reserve_port(self.base_port)
            if self._reservation is None:
                raise HarnessError(f"vpcd port {self.base_port} is reserved by another harness")
            weakref.finalize(self, os.close, self._reservation)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.conf_dir.mkdir(exist_ok=True)
        self._write_conf()
        if self.socket_path.exists():
            self.socket_path.unlink()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.socket_path))
        listener.listen(64)
        os.chmod(self.socket_path, 0o666)
        fd = listener.fileno()
        command = ["sh", "-c", f'LISTEN_PID=$$ LISTEN_FDS=1 {self._poll_env()}exec "{pcscd}" '
                               f'--foreground --info -c "{self.conf_dir}"']
        slots, self.isolated = [], can_isolate()
        if self.isolated:
            self.ready_path.unlink(missing_ok=True)
            slots = [self._loopback_listener(port) for port in self.slot_ports
                     if self.with_reader]
            command = ["unshare", "--user", "--map-root-user", "--net", sys.executable, "-m",
                       "kiosk.sim.vpcd_relay", str(self.ready_path),
                       *(f"{port}:{slot.fileno()}"
                         for port, slot in zip(self.slot_ports, slots, strict=False)),
                       "--", *command]

        def hand_over_socket() -> None:
            if fd != 3:
                os.dup2(fd, 3)
            os.set_inheritable(3, True)  # dup2(3, 3) would leave close-on-exec set
            os.setsid()

        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            command,
            # close_fds=False: subprocess would close fd 3 after preexec_fn; every other
            # descriptor of ours is close-on-exec, so only the sockets reach pcscd (and the
            # relay's slot listeners the relay).
            preexec_fn=hand_over_socket, close_fds=False, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
        listener.close()
        for slot in slots:
            slot.close()
        log.close()
        self._wait_ready(timeout)

    def _poll_env(self) -> str:
        """The environment words that give this pcscd its shorter poll, if one was asked for."""
        if self.poll_ms is None or self.poll_ms >= PCSCD_STATUS_POLL_MS:
            return ""
        library = build_poll_shim(self.workdir)
        if library is None:
            return ""
        return f'LD_PRELOAD="{library}" KIOSK_PCSCD_POLL_US={int(self.poll_ms * 1000)} '

    @staticmethod
    def _loopback_listener(port: int) -> socket.socket:
        slot = socket.socket()
        slot.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            slot.bind(("127.0.0.1", port))
        except OSError as exc:
            slot.close()
            raise HarnessError(f"vpcd port {port} is taken ({exc})") from None
        slot.listen(1)
        slot.set_inheritable(True)
        return slot

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        assert self.proc is not None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError(f"pcscd exited with {self.proc.returncode}; see {self.log_path}")
            log = self.log_path.read_text(errors="replace")
            if "daemon ready" in log and "Started by systemd" not in log:
                self.stop()
                raise HarnessError("pcscd did not take the socket it was handed (no socket "
                                   f"activation support?); see {self.log_path}")
            if not self.with_reader and "daemon ready" in log:
                return
            if self.isolated and self.with_reader and self.ready_path.exists():
                return
            if (not self.isolated and self.with_reader
                    and all(not _ports_free([p]) for p in self.slot_ports)):
                return
            time.sleep(0.05)
        raise HarnessError(f"pcscd did not open the vpcd ports in {timeout}s; see {self.log_path}")

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None

    def kill(self) -> None:
        """Simulate pcscd crashing (with its relay: they share a process group)."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
            self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def unplug(self) -> None:
        """Take the reader away: pcscd comes back without it (SIGUSR1 only adds serial readers)."""
        self.with_reader = False
        self.restart()

    def plug(self) -> None:
        self.with_reader = True
        self.restart()

    def __enter__(self) -> PcscdHarness:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
