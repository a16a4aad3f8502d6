"""Finding 17: the demo's and the tests' virtual reader answers on 127.0.0.1 only (cards are
read through it by every PC/SC test), and SIGTERM to `kiosk demo` stops its pcscd too."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def _descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (int(c) for c in (task / "children").read_text().split()):
            found += [child, *_descendants(child)]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_f17_sigterm_to_kiosk_demo_stops_its_pcscd(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("PCSCLITE_CSOCK_NAME", None)
    demo = subprocess.Popen([sys.executable, "-m", "kiosk", "demo", "--state-dir",
                             str(tmp_path / "demo")], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    pcscd_pids: list[int] = []
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            lines.append(line)
            if "Demo panel" in line or not line:
                break
        assert "Virtual card reader ready" in "".join(lines), "".join(lines)
        pcscd_pids = [p for p in _descendants(demo.pid)
                      if "pcscd" in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")]
        assert pcscd_pids
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in pcscd_pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(p) for p in pcscd_pids), "pcscd outlived kiosk demo"
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        for pid in pcscd_pids:  # what today's demo leaves behind
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_f17_vpcd_ports_answer_on_127_0_0_1_only(tmp_path):
    from kiosk.sim.pcscd import PcscdHarness
    harness = PcscdHarness(tmp_path / "pcscd")
    harness.start()
    try:
        assert harness.isolated, "CI machines allow user namespaces"
        listening = {}
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port = local.split(":")
            if state == "0A" and int(port, 16) in harness.slot_ports:
                listening.setdefault(int(port, 16), set()).add(address)
        assert listening == {port: {"0100007F"} for port in harness.slot_ports}  # 127.0.0.1
        for port in harness.slot_ports:  # another address of this machine: refused
            with socket.socket() as probe:
                probe.settimeout(2)
                assert probe.connect_ex(("127.0.0.2", port)) != 0
    finally:
        harness.stop()
