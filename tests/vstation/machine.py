"""Boot the station's disk in QEMU and talk to it: the test agent on a virtio-serial port,
QMP for the screen and the power switch, the serial console and the station's tap reports
(a second serial port) kept in files that outlive a power cut of the guest.

Each machine writes to its own qcow2 overlay on the cached disk, so the cache stays clean.
KVM is tried first and given up when the kernel does not start on it (nested KVM on the CI
machines fails with an MSR assertion or hangs silently); then TCG, two vCPUs (SMP).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.vstation.image import StationImage, log

CMDLINE = ("root=/dev/vda {mode} console=ttyS0,115200 systemd.firstboot=off "
           "systemd.show_status=1 panic=-1")
MEMORY_MB = 2048
# Two vCPUs: QEMU runs them on two host threads (multi-threaded TCG), and systemd, the kiosk
# and Chromium start side by side. Measured on a 2-core machine: a boot to "ready" in 60 s
# instead of 80 s, the kiosk page painted 90 s after QEMU started. KIOSK_VM_SMP overrides it.
SMP = int(os.environ.get("KIOSK_VM_SMP", "2"))
_accel: str | None = None  # what worked on this machine, found by the first boot


class GuestError(AssertionError):
    """The guest did not answer, or a command in it failed."""


@dataclass(frozen=True)
class Result:
    rc: int
    out: str
    err: str

    def check(self) -> Result:
        if self.rc != 0:
            raise GuestError(f"exit {self.rc}\n{self.out}\n{self.err}")
        return self


class Machine:
    """One virtual station: ``start`` boots it, ``kill`` cuts its power, ``sh`` runs a
    command in it as root through the agent."""

    def __init__(self, image: StationImage, workdir: Path, cmdline: str = "",
                 extra_disks: tuple[Path, ...] = ()):
        self.image, self.dir = image, Path(workdir)
        self.cmdline, self.extra_disks = cmdline, extra_disks
        self.dir.mkdir(parents=True, exist_ok=True)
        self.disk = self.dir / "disk.qcow2"
        self.proc: subprocess.Popen | None = None
        self.agent: socket.socket | None = None
        self.boots = 0
        self.accel = ""
        self._next_id = 0
        if not self.disk.exists():
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(image.disk),
                            "-F", "raw", str(self.disk)], check=True)

    # -- power ------------------------------------------------------------------------
    def start(self, timeout: float = 600.0) -> float:
        """Boot and wait until the agent answers; returns the seconds it took."""
        global _accel
        started = time.monotonic()
        if _accel is None:
            _accel = "kvm" if self._kernel_starts_on_kvm() else "tcg"
            log(f"accelerator: {_accel}")
        self._launch(_accel)
        self.wait_agent(timeout)
        self.boots += 1
        return time.monotonic() - started

    def _kernel_starts_on_kvm(self) -> bool:
        if not os.access("/dev/kvm", os.R_OK | os.W_OK):
            return False
        self._launch("kvm")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.proc.poll() is None:
            if "Run /init" in self.console() or "Freeing unused kernel" in self.console():
                self.kill()
                return True
            time.sleep(0.5)
        log("KVM did not start the kernel (nested KVM): falling back to TCG")
        self.kill()
        return False

    def _launch(self, accel: str) -> None:
        for name in ("agent.sock", "qmp.sock", "console.sock", "reports.sock"):
            (self.dir / name).unlink(missing_ok=True)
        self.accel = accel
        console = self.dir / "console.log"
        if console.exists():  # keep every boot's console, one after the other
            with open(self.dir / "console-all.log", "ab") as all_boots:
                all_boots.write(console.read_bytes())
            console.unlink()
        cpu = ["-cpu", "host"] if accel == "kvm" else ["-cpu", "max"]
        disks = []
        for n, extra in enumerate(self.extra_disks):
            disks += ["-drive", f"file={extra},if=virtio,format=raw,id=extra{n}"]
        cmd = ["qemu-system-x86_64", "-name", "kiosk-virtual-station", "-machine", f"q35,accel={accel}",
               *cpu, "-smp", str(SMP), "-m", str(MEMORY_MB), "-no-reboot",
               "-kernel", str(self.image.kernel), "-initrd", str(self.image.initrd),
               "-append", f"{self.kernel_cmdline()} {self.cmdline}".strip(),
               "-drive", f"file={self.disk},if=virtio,format=qcow2,cache=writeback", *disks,
               "-vga", "none", "-device", "virtio-gpu-pci,xres=1280,yres=800", "-display", "none",
               "-nic", "none",
               "-chardev", f"socket,id=con,path={self.dir / 'console.sock'},server=on,wait=off,"
                           f"logfile={console}",
               "-serial", "chardev:con",
               "-chardev", f"socket,id=rep,path={self.dir / 'reports.sock'},server=on,wait=off,"
                           f"logfile={self.dir / 'reports.log'},logappend=on",
               "-serial", "chardev:rep",
               "-device", "virtio-serial-pci",
               "-chardev", f"socket,id=agent,path={self.dir / 'agent.sock'},server=on,wait=off",
               "-device", "virtserialport,chardev=agent,name=org.kiosk.agent",
               "-qmp", f"unix:{self.dir / 'qmp.sock'},server=on,wait=off"]
        stderr = open(self.dir / "qemu.stderr", "ab")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr)
        stderr.close()
        deadline = time.monotonic() + 10
        while not (self.dir / "agent.sock").exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise GuestError(f"QEMU did not start: {(self.dir / 'qemu.stderr').read_text()}")
            time.sleep(0.05)

    def kernel_cmdline(self) -> str:
        """The root mounted read-write by the initramfs, but read-only under overlayroot,
        which keeps the mount it finds as its lower layer (as a Pi's boot line, which says
        neither, leaves it: read-only)."""
        return CMDLINE.format(mode="ro" if "overlayroot=" in self.cmdline else "rw")

    def kill(self) -> None:
        """A power cut: SIGKILL to QEMU. What the guest fsynced is in the overlay; its page
        cache is gone."""
        self._drop_agent()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def shutdown(self, timeout: float = 120.0) -> None:
        """A clean power-off (systemctl poweroff), a cut if it takes too long."""
        if self.proc and self.proc.poll() is None:
            try:
                self.sh("systemctl --no-block poweroff", timeout=10)
            except GuestError:
                pass
            self._drop_agent()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    # -- the agent --------------------------------------------------------------------
    def _drop_agent(self) -> None:
        if self.agent:
            self.agent.close()
        self.agent = None

    def wait_agent(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise GuestError(f"QEMU exited during boot; console:\n{self.console()[-3000:]}")
            try:
                if self.sh("echo ready", timeout=10).out.strip() == "ready":
                    return
            except (GuestError, OSError):
                self._drop_agent()
                time.sleep(2)
        raise GuestError(f"the agent did not answer in {timeout}s; console:\n{self.console()[-3000:]}")

    def sh(self, command: str, timeout: float = 60.0) -> Result:
        """Run ``command`` with bash as root in the guest and wait for its result."""
        if self.agent is None:
            self.agent = socket.socket(socket.AF_UNIX)
            self.agent.connect(str(self.dir / "agent.sock"))
            self._pending = b""
        self._next_id += 1
        request = {"id": self._next_id, "sh": command, "timeout": timeout}
        self.agent.sendall(json.dumps(request).encode() + b"\n")
        self.agent.settimeout(timeout + 15)
        try:
            while True:
                while b"\n" not in self._pending:
                    chunk = self.agent.recv(65536)
                    if not chunk:
                        raise GuestError("the agent closed the channel")
                    self._pending += chunk
                line, self._pending = self._pending.split(b"\n", 1)
                reply = json.loads(line)
                if reply.get("id") == self._next_id:  # older replies: from a timed-out wait
                    return Result(reply["rc"], reply["out"], reply["err"])
        except TimeoutError as exc:
            self._drop_agent()
            raise GuestError(f"no answer to {command!r} in {timeout + 15}s") from exc

    def wait_for(self, command: str, timeout: float, every: float = 3.0) -> Result:
        """Run ``command`` until it succeeds; the last result if it never does."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.sh(command, timeout=max(10.0, every * 4))
            if result.rc == 0 or time.monotonic() > deadline:
                return result
            time.sleep(every)

    # -- QMP, console and reports -------------------------------------------------------
    def qmp(self, execute: str, **arguments) -> dict:
        with socket.socket(socket.AF_UNIX) as qmp:
            qmp.connect(str(self.dir / "qmp.sock"))
            stream = qmp.makefile("rwb")
            stream.readline()  # the greeting
            for message in ({"execute": "qmp_capabilities"},
                            {"execute": execute, "arguments": arguments}):
                stream.write(json.dumps(message).encode() + b"\n")
                stream.flush()
                while True:
                    reply = json.loads(stream.readline())
                    if "return" in reply or "error" in reply:
                        break
            if "error" in reply:
                raise GuestError(f"QMP {execute}: {reply['error']}")
            return reply["return"]

    def screendump(self, path: Path) -> Path:
        self.qmp("screendump", filename=str(path), format="png")
        return path

    def console(self) -> str:
        path = self.dir / "console.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def reports(self) -> list[dict]:
        """Every JSON line the station wrote to its report port, over all boots."""
        path = self.dir / "reports.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        found = []
        for line in re.findall(r"\{.*\}", text):
            try:
                found.append(json.loads(line))
            except ValueError:
                continue  # the line a power cut tore
        return found

    def checkins(self) -> list[dict]:
        return [r for r in self.reports() if r.get("kind") == "checked_in"]
