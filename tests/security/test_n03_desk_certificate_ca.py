"""Finding N3: the desk certificate was a CA for any name, and PCs were told to trust it.

The attack: the station's desk certificate had CA:TRUE and keyCertSign without name
constraints, and docs/technicians.md told technicians to install it as a trusted root. Whoever
read a station's data folder (a stolen SD card) could make a certificate for any site that
those PCs trusted for ten years. Now the certificate's critical name constraints permit only
the station's own names and addresses; a station's old certificate is replaced at its first
start after the upgrade (the old key destroyed), and doctor warns until the old certificate
file is gone.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kiosk.adapters import desk_tls
from kiosk.config.loader import load_config
from kiosk.testing.station import write_station_config

ROOT = Path(__file__).resolve().parents[2]
BANK = "www.icbc.com.cn"


def forged_leaf(cert_path: Path, key_path: Path, name: str, directory: Path) -> tuple[Path, Path]:
    """A server certificate for ``name`` signed with the station's desk key: (chain, key)."""
    issuer = desk_tls.load_certificate(cert_path)
    signer = serialization.load_pem_private_key(key_path.read_bytes(), None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    san = [x509.DNSName(name)] if not name[0].isdigit() else [
        x509.IPAddress(ipaddress.ip_address(name))]
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(issuer.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(san), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(signer, hashes.SHA256()))  # type: ignore[arg-type]
    chain, leaf_key = directory / "forged.pem", directory / "forged.key"
    chain.write_bytes(leaf.public_bytes(serialization.Encoding.PEM)
                      + issuer.public_bytes(serialization.Encoding.PEM))
    leaf_key.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return chain, leaf_key


def handshake(chain: Path, key: Path, trusted: Path, name: str) -> str:
    """A TLS handshake: a server with the forged chain, a client (a desk PC) that trusts what
    the station told it to trust and asks for ``name``: "ok" or OpenSSL's verify error."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(str(chain), str(key))
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        try:
            with server_context.wrap_socket(conn, server_side=True):
                pass
        except (ssl.SSLError, OSError):
            pass
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client = ssl.create_default_context(cafile=str(trusted))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
                client.wrap_socket(raw, server_hostname=name):
            return "ok"
    except ssl.SSLCertVerificationError as exc:
        return exc.verify_message
    finally:
        thread.join(10)
        listener.close()


@pytest.mark.parametrize("name", [BANK, "192.0.2.80"])
def test_n03_a_leaf_made_with_the_station_key_is_not_trusted_for_another_site(tmp_path, name):
    cert, key = desk_tls.ensure_certificate(tmp_path, None, None, "测试站", "127.0.0.1")
    chain, leaf_key = forged_leaf(cert, key, name, tmp_path)
    assert handshake(chain, leaf_key, cert, name) != "ok"  # OpenSSL, as Python and curl use it
    from cryptography.x509.verification import PolicyBuilder, Store, VerificationError
    leaf = x509.load_pem_x509_certificates(chain.read_bytes())[0]
    subject = (x509.DNSName(name) if name == BANK else
               x509.IPAddress(ipaddress.ip_address(name)))
    verifier = PolicyBuilder().store(Store([desk_tls.load_certificate(cert)])).build_server_verifier(
        subject)  # type: ignore[arg-type]
    with pytest.raises(VerificationError):
        verifier.verify(leaf, [])


def test_n03_the_station_itself_still_verifies(tmp_path):
    cert, key = desk_tls.ensure_certificate(tmp_path, None, None, "测试站", "127.0.0.1")
    assert handshake(cert, key, cert, "127.0.0.1") == "ok"
    assert handshake(cert, key, cert, "localhost") == "ok"


def old_style_certificate(cert_path: Path, key_path: Path) -> None:
    """A desk certificate as stations made them before: a CA without name constraints."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, socket.gethostname())])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, hashes.SHA256()))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def test_n03_an_upgraded_station_gets_a_new_certificate_and_doctor_warns(tmp_path):
    config_path = write_station_config(tmp_path / "st", None, extra='\n[desk]\nenabled = true\n')
    config = load_config(config_path)
    data = config.station.data_dir
    old_cert, old_key = data / desk_tls.CERT_NAME, data / desk_tls.KEY_NAME
    old_style_certificate(old_cert, old_key)
    old_fingerprint, old_key_pem = desk_tls.fingerprint(old_cert), old_key.read_bytes()
    from kiosk.ops.doctor import run_checks

    def desk_warnings() -> list[str]:
        return [c.detail for c in run_checks(config) if c.name == "desk certificate" and c.warn]
    assert desk_warnings()  # before the upgrade's first start: a CA for any name, in use
    cert, key = desk_tls.ensure_certificate(data, None, None, "测试站", "127.0.0.1")  # the start
    assert desk_tls.fingerprint(cert) != old_fingerprint
    assert not desk_tls.unconstrained_ca(desk_tls.load_certificate(cert))
    assert key.read_bytes() != old_key_pem  # the old key is gone, not kept beside the new one
    assert not any(old_key_pem in p.read_bytes() for p in data.iterdir() if p.is_file())
    warned = desk_warnings()
    assert len(warned) == 1 and old_fingerprint in warned[0]  # until the old file is gone
    (data / desk_tls.OLD_CERT_NAME).unlink()
    assert desk_warnings() == []


def test_n03_technicians_are_not_asked_for_an_unlimited_trusted_root():
    guide = (ROOT / "docs" / "technicians.md").read_text(encoding="utf-8")
    trust = guide[guide.index("### Trusting the station's certificate"):]
    trust = trust[:trust.index("\n## ")]
    assert "name constraints" in trust and "only for this station" in trust
    assert "desk-cert-old.pem" in trust  # and how to take the old, unlimited one away
