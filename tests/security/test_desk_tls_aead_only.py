"""The desk's TLS: testssl.sh reported "Obsolete CBC ciphers offered" (ECDHE-ECDSA-AES256-SHA384,
-AES128-SHA256). Now TLS 1.2 offers only AEAD suites (Mozilla's intermediate profile; TLS 1.3's
are all AEAD), checked by handshakes against the station's own server context."""

from __future__ import annotations

import socket
import ssl
import threading

import pytest

from kiosk.adapters import desk_tls


def serve_once(context: ssl.SSLContext) -> int:
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)
        except (ssl.SSLError, OSError):
            pass
        finally:
            listener.close()
    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1]


def client(cert, ciphers: str | None = None, version=ssl.TLSVersion.TLSv1_2) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(cert))
    context.minimum_version = context.maximum_version = version
    if ciphers:
        context.set_ciphers(ciphers)
    return context


@pytest.fixture
def station(tmp_path):
    cert, key = desk_tls.ensure_certificate(tmp_path, None, None, "测试站", "127.0.0.1")
    return cert, desk_tls.server_context(cert, key)


@pytest.mark.parametrize("cbc", ["ECDHE-ECDSA-AES256-SHA384", "ECDHE-ECDSA-AES128-SHA256",
                                 "ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA"])
def test_no_cbc_suite_is_agreed(station, cbc):
    cert, server = station
    port = serve_once(server)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with pytest.raises(ssl.SSLError):
            client(cert, cbc).wrap_socket(raw, server_hostname="127.0.0.1")


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_a_browser_gets_an_aead_suite(station, version):
    cert, server = station
    port = serve_once(server)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
            client(cert, version=version).wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        name, _protocol, _bits = tls.cipher()
        tls.sendall(b"x")
    assert "GCM" in name or "CHACHA20" in name, name
    offered = [c for c in server.get_ciphers() if c["protocol"] == "TLSv1.2"]
    assert offered and all(c["aead"] for c in offered), offered
