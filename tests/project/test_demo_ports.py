"""`kiosk demo --port N --desk-port M` (issue 21): the demo serves where it is asked; a taken
default port is replaced by a free one and the demo says so, in both languages; a port asked for
that is taken is refused, before anything starts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from click.testing import CliRunner

from kiosk.cli.main import main
from kiosk.demo.run import demo_port


def taken_port() -> socket.socket:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    return busy


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_taken_default_port_is_replaced_and_the_demo_says_which():
    with taken_port() as busy:
        port = busy.getsockname()[1]
        chosen, notice = demo_port(None, port, "--port")
    assert chosen != port
    assert notice == (f"端口 {port} 已被占用，演示改用端口 {chosen}（可用 --port 指定端口） / "
                      f"Port {port} is in use, so the demo uses port {chosen} instead "
                      f"(--port chooses)")
    assert demo_port(None, chosen, "--port") == (chosen, "")  # a free default: no notice
    desk, notice = demo_port(None, chosen, "--desk-port", taken=chosen)  # the UI took it
    assert desk != chosen and "--desk-port" in notice


def test_a_port_asked_for_that_is_taken_is_refused(tmp_path):
    with taken_port() as busy:
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["demo", "--state-dir", str(tmp_path / "demo"),
                                           "--port", str(port)])
    assert result.exit_code == 1
    assert (f"端口 {port} 已被占用；请用 --port 选择另一个端口 / Port {port} is in use; choose "
            f"another with --port") in result.output
    assert not (tmp_path / "demo").exists()  # refused before anything started
    same = CliRunner().invoke(main, ["demo", "--state-dir", str(tmp_path / "demo"),
                                     "--port", "8999", "--desk-port", "8999"])
    assert same.exit_code == 1 and "choose another with --desk-port" in same.output


def test_the_demo_serves_on_the_ports_asked_for(tmp_path):
    ui, desk = free_port(), free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    demo = subprocess.Popen([sys.executable, "-m", "kiosk", "demo", "--state-dir",
                             str(tmp_path / "demo"), "--port", str(ui), "--desk-port", str(desk)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env=env, text=True)
    try:
        lines, deadline = [], time.monotonic() + 60
        while time.monotonic() < deadline and not any("Technician desk" in line for line in lines):
            lines.append(demo.stdout.readline())
            assert lines[-1], "".join(lines)
        output = "".join(lines)
        assert f"Demo panel: http://127.0.0.1:{ui}/demo/" in output, output
        assert f"Technician desk: https://127.0.0.1:{desk}/staff/" in output, output
        assert "in use" not in output  # nothing was swapped
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{ui}/demo/", timeout=5) as page:
                    assert page.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "the demo panel never answered"
                time.sleep(0.2)
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=30)
