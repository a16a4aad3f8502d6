"""TEST ONLY, run inside the virtual station as root: does the browser unit reach an address
that is not loopback? The station has no network interface, so the address is a second one on
its own loopback device (192.0.2.1, a documentation address: nothing leaves the VM), and a
listener there counts who connects.

``listen SECONDS``  the address and a listener on it for SECONDS (or until SIGTERM), then
                    how many connected
``probe``           connect to it from here (outside the unit), then from a child process
                    that joined kiosk-browser.service's cgroup (where systemd's
                    IPAddressDeny/IPAddressAllow filter applies), to it and to the station
"""
import fcntl
import json
import os
import signal
import socket
import struct
import sys
import time

ADDRESS, PORT = "192.0.2.1", 8099
BROWSER_CGROUP = "/sys/fs/cgroup/system.slice/kiosk-browser.service/cgroup.procs"
SIOCSIFADDR = 0x8916


def add_address() -> None:
    """192.0.2.1 on lo (an alias, lo:kt) through the old ioctl: no iproute2 in the image."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH2s4s8s", b"lo:kt", socket.AF_INET, b"\0\0",
                              socket.inet_aton(ADDRESS), b"\0" * 8)
        try:
            fcntl.ioctl(s, SIOCSIFADDR, request)
        except FileExistsError:
            pass


def listen(seconds: float) -> None:
    add_address()
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((ADDRESS, PORT))
    server.listen(16)
    server.settimeout(0.5)
    accepted, stop = 0, []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    print(json.dumps({"listening": f"{ADDRESS}:{PORT}"}), flush=True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stop:
        try:
            conn, _ = server.accept()
        except (TimeoutError, InterruptedError):
            continue
        accepted += 1
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
        conn.close()
    print(json.dumps({"accepted": accepted}), flush=True)


def connect(address: str, port: int) -> str:
    try:
        with socket.create_connection((address, port), timeout=10):
            return "connected"
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"


def probe() -> None:
    found = {"outside": connect(ADDRESS, PORT)}
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # into the browser unit's cgroup: its sockets get the unit's IP filter
        os.close(read)
        with open(BROWSER_CGROUP, "w") as procs:
            procs.write(str(os.getpid()))
        inside = {"in_unit": connect(ADDRESS, PORT), "in_unit_station": connect("127.0.0.1", 8080),
                  "cgroup": open(f"/proc/{os.getpid()}/cgroup").read().strip()}
        os.write(write, json.dumps(inside).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    found.update(json.loads(os.read(read, 65536)))
    print(json.dumps(found))


if __name__ == "__main__":
    if sys.argv[1] == "listen":
        listen(float(sys.argv[2]))
    else:
        probe()
