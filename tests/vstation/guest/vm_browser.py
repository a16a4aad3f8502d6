"""TEST ONLY, run inside the virtual station as root: drive the kiosk's own Chromium, the one
kiosk-browser.service runs under its sandbox, through its DevTools port. The test image adds
``--remote-debugging-port`` (loopback) through /etc/chromium.d (chromium-test-flags); a real
station has no such port. Standard library only (the station's Python has no WebSocket
client): one WebSocket client of about forty lines.

``eval EXPR``          the value of EXPR on the kiosk's page (promises awaited), as JSON
``text SELECTOR``      the text of the first element matching SELECTOR on the kiosk's page,
                       its browser-drawn parts included (a date field's 年/月/日)
``open URL SECONDS``   open URL in a new tab of the kiosk browser, close it after SECONDS
"""
import base64
import json
import os
import socket
import struct
import sys
import time
import urllib.request

DEVTOOLS = "http://127.0.0.1:9222"
STATION = "http://127.0.0.1:8080/"


def targets() -> list[dict]:
    with urllib.request.urlopen(f"{DEVTOOLS}/json/list", timeout=20) as answer:
        return json.load(answer)


def kiosk_page() -> dict:
    pages = [t for t in targets() if t.get("type") == "page" and t["url"].startswith(STATION)]
    if not pages:
        raise SystemExit(f"no page of the station in the kiosk browser: {targets()}")
    return pages[0]


class DevTools:
    """One DevTools WebSocket: ``call`` sends a command and returns its result."""

    def __init__(self, ws_url: str):
        host, path = ws_url.removeprefix("ws://").split("/", 1)
        name, port = host.rsplit(":", 1)
        self.sock = socket.create_connection((name, int(port)), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(f"GET /{path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                          f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                          "Sec-WebSocket-Version: 13\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:  # a byte at a time: the frames after stay unread
            head += self._exactly(1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise SystemExit(f"DevTools refused the WebSocket: {head!r}")
        self.last_id = 0

    def _exactly(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise SystemExit("DevTools closed the WebSocket")
            data += chunk
        return data

    def _message(self) -> bytes:
        payload = b""
        while True:
            first, second = self._exactly(2)
            size = second & 0x7F
            if size == 126:
                size = struct.unpack(">H", self._exactly(2))[0]
            elif size == 127:
                size = struct.unpack(">Q", self._exactly(8))[0]
            payload += self._exactly(size)
            if first & 0x80:  # FIN: the message is whole
                return payload

    def call(self, method: str, **params) -> dict:
        self.last_id += 1
        data = json.dumps({"id": self.last_id, "method": method, "params": params}).encode()
        mask = os.urandom(4)
        size = (bytes([0x80 | len(data)]) if len(data) < 126
                else bytes([0x80 | 126]) + struct.pack(">H", len(data)) if len(data) < 65536
                else bytes([0x80 | 127]) + struct.pack(">Q", len(data)))
        self.sock.sendall(b"\x81" + size + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
        while True:
            reply = json.loads(self._message())
            if reply.get("id") == self.last_id:
                if "error" in reply:
                    raise SystemExit(f"{method}: {reply['error']}")
                return reply["result"]


def text_of(node: dict) -> str:
    """The text under a DOM node, user-agent shadow roots included."""
    own = node.get("nodeValue", "") if node.get("nodeType") == 3 else ""
    return own + "".join(text_of(child) for key in ("shadowRoots", "children")
                         for child in node.get(key, []))


def main(argv: list[str]) -> None:
    command = argv[0]
    if command == "open":
        browser = DevTools(json.load(urllib.request.urlopen(f"{DEVTOOLS}/json/version",
                                                            timeout=20))["webSocketDebuggerUrl"])
        target = browser.call("Target.createTarget", url=argv[1])["targetId"]
        time.sleep(float(argv[2]))
        browser.call("Target.closeTarget", targetId=target)
        print(json.dumps({"opened": argv[1]}))
        return
    page = DevTools(kiosk_page()["webSocketDebuggerUrl"])
    if command == "eval":
        result = page.call("Runtime.evaluate", expression=argv[1], returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise SystemExit(json.dumps(result["exceptionDetails"]))
        print(json.dumps(result["result"].get("value")))
    elif command == "text":
        root = page.call("DOM.getDocument", depth=0)["root"]["nodeId"]
        found = page.call("DOM.querySelector", nodeId=root, selector=argv[1])["nodeId"]
        if not found:
            raise SystemExit(f"nothing matches {argv[1]!r}")
        node = page.call("DOM.describeNode", nodeId=found, depth=-1, pierce=True)["node"]
        print(json.dumps(text_of(node)))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
