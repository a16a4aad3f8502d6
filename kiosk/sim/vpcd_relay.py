"""Keep vpcd off the network: run pcscd in a network namespace of its own and relay the
reader slots' ports from 127.0.0.1 into it.

vpcd (3.3) listens on every interface and has no setting for the address, so on a LAN a
neighbour could connect to a demo or test reader and present a card. The harness binds the
slot ports on 127.0.0.1 itself and starts this module under ``unshare --user --net``: pcscd
runs in the new namespace, where vpcd's 0.0.0.0 is that namespace's loopback alone, and this
process relays each connection accepted on the harness's sockets (created outside, so they
stay on the real loopback) to vpcd. A client closing is a card leaving the field, either way.

Usage (by PcscdHarness only): python -m kiosk.sim.vpcd_relay READY_FILE PORT:FD ... --
COMMAND...  where fd 3 is pcscd's socket and each FD listens for slot PORT.
"""

from __future__ import annotations

import ctypes
import fcntl
import selectors
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path


def bring_loopback_up() -> None:
    """``ip link set lo up`` without iproute2: a new network namespace starts with lo down."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(sock, siocgifflags, request))[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack("16sH", b"lo", flags | iff_up))


def listening(ports: list[int]) -> bool:
    """Whether vpcd listens on every port, from this namespace's /proc/net/tcp."""
    found = set()
    for line in Path("/proc/self/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A":  # LISTEN
            found.add(int(fields[1].rsplit(":", 1)[1], 16))
    return set(ports) <= found


def _quick(sock: socket.socket) -> None:
    # vpcd writes a frame's length and payload separately (Nagle on its side): answer each
    # segment at once, or every APDU waits for a delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if hasattr(socket, "TCP_QUICKACK"):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)


def relay(listeners: dict[socket.socket, int], stop) -> None:
    """Accept on each listener, connect to vpcd's port here, copy bytes both ways."""
    chosen = selectors.DefaultSelector()
    for listener in listeners:
        chosen.register(listener, selectors.EVENT_READ, None)
    peers: dict[socket.socket, socket.socket] = {}

    def close(sock: socket.socket) -> None:
        for end in (sock, peers.pop(sock, None)):
            if end is not None and end.fileno() != -1:  # not closed already, with its peer
                peers.pop(end, None)
                chosen.unregister(end)
                end.close()

    while not stop():
        for key, _ in chosen.select(timeout=0.5):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)  # only sockets are registered
            if sock.fileno() == -1:  # both ends were ready and its peer's close closed it too
                continue
            if sock in listeners:
                client, _ = sock.accept()
                try:
                    card_side = socket.create_connection(("127.0.0.1", listeners[sock]), 2)
                except OSError:
                    client.close()
                    continue
                for end, other in ((client, card_side), (card_side, client)):
                    _quick(end)
                    peers[end] = other
                    chosen.register(end, selectors.EVENT_READ, None)
                continue
            try:
                data = sock.recv(65536)
                _quick(sock)
                if data:
                    peers[sock].sendall(data)
                    continue
            except OSError:
                pass
            close(sock)


def main(argv: list[str]) -> None:
    split = argv.index("--")
    ready, slots, command = Path(argv[0]), argv[1:split], argv[split + 1:]
    listeners = {socket.socket(fileno=int(fd)): int(port)
                 for port, fd in (slot.split(":") for slot in slots)}
    bring_loopback_up()
    libc = ctypes.CDLL(None, use_errno=True)
    pcscd = subprocess.Popen(command, pass_fds=(3,),
                             preexec_fn=lambda: libc.prctl(1, signal.SIGKILL))  # dies with us
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    while not listening(list(listeners.values())) and pcscd.poll() is None and not stopping:
        time.sleep(0.05)
    if pcscd.poll() is None and not stopping:
        ready.write_text("ready\n")
        relay(listeners, lambda: bool(stopping) or pcscd.poll() is not None)
    pcscd.terminate()
    try:
        pcscd.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pcscd.kill()
    sys.exit(pcscd.wait())


if __name__ == "__main__":
    main(sys.argv[1:])
