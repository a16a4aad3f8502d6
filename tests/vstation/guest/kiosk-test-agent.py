#!/usr/bin/python3
"""TEST ONLY (the virtual station of tests/vstation, never on a real station): run the shell
commands the host sends on a virtio-serial port and send back their results.

One JSON object per line each way: {"id", "sh", "timeout"} in, {"id", "rc", "out", "err"} out.
Each command runs in its own thread, so one that outlives its caller blocks nothing else.
"""
import json
import os
import subprocess
import threading
import time

PORT = "/dev/virtio-ports/org.kiosk.agent"


def answer(request: dict) -> dict:
    try:
        done = subprocess.run(["/bin/bash", "-c", request["sh"]], capture_output=True,
                              stdin=subprocess.DEVNULL, timeout=request.get("timeout", 60))
        rc, out, err = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as expired:
        rc, out, err = 124, expired.stdout or b"", (expired.stderr or b"") + b"\nagent: timed out"
    return {"id": request.get("id"), "rc": rc, "out": out.decode(errors="replace"),
            "err": err.decode(errors="replace")}


def serve() -> None:
    while not os.path.exists(PORT):
        time.sleep(0.2)
    fd = os.open(PORT, os.O_RDWR)
    pending = b""
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:  # no host on the other end yet: wait for one
            time.sleep(0.2)
            continue
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            if line.strip():
                threading.Thread(target=reply, args=(fd, json.loads(line)), daemon=True).start()


WRITING = threading.Lock()


def reply(fd: int, request: dict) -> None:
    data = json.dumps(answer(request)).encode() + b"\n"
    with WRITING:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]


if __name__ == "__main__":
    serve()
