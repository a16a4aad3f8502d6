"""The desk's TLS certificate: the station's own (made at first start) or the county's.

The station's own is a self-signed ECDSA P-256 certificate for the station's host names,
kept beside the data (``desk-cert.pem``, and ``desk-key.pem`` mode 0600). A browser cannot
know it, so the technician compares its SHA-256 fingerprint (the dashboard, ``kiosk doctor``
and the enrolment slip show it) the first time her browser asks, then trusts it
(docs/technicians.md). It is a CA certificate (so that Android and Windows accept it into
their trust stores) limited to itself (path length 0) and, by critical name constraints, to
the station's own names and addresses: whoever copies its key from a stolen SD card cannot
make a certificate that those PCs trust for any other site (docs/security.md, finding N3).

Certificates made before that had no name constraints. ``ensure_certificate`` replaces such a
certificate of the station's own at the first start after the upgrade: the old key is
overwritten and removed, the old certificate kept as ``desk-cert-old.pem`` so that doctor can
name it (and its fingerprint) until technicians have removed it from every desk PC.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kiosk.errors import ConfigError

CERT_NAME, KEY_NAME, OLD_CERT_NAME = "desk-cert.pem", "desk-key.pem", "desk-cert-old.pem"
VALID_DAYS = 3650
# Mozilla's "intermediate" TLS 1.2 suites: AEAD only (TLS 1.3's own suites are all AEAD)
CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
           "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
           "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
           "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305")


def paths(data_dir: Path, cert_file: Path | None, key_file: Path | None) -> tuple[Path, Path]:
    """(certificate, key): the configured pair, or the station's own in the data folder."""
    if cert_file and key_file:
        return cert_file, key_file
    return data_dir / CERT_NAME, data_dir / KEY_NAME


def _names(host: str) -> list[x509.GeneralName]:
    hostname = socket.gethostname()
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in
                                     dict.fromkeys([hostname, f"{hostname}.local", "localhost"])]
    addresses = {"127.0.0.1"}
    if host not in ("", "0.0.0.0", "::"):
        addresses.add(host)
    for address in sorted(addresses):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(address)))
        except ValueError:
            names.append(x509.DNSName(address))
    return names


def _only_its_own(names: list[x509.GeneralName]) -> x509.NameConstraints:
    """Name constraints that permit exactly the station's own names (and their subdomains)
    and addresses; with both kinds listed, no other DNS name or address is permitted."""
    permitted: list[x509.GeneralName] = []
    for name in names:
        if isinstance(name, x509.IPAddress):
            network = ipaddress.ip_network(name.value)
            permitted.append(x509.IPAddress(network))
        else:
            permitted.append(name)
    if not any(isinstance(n, x509.IPAddress) for n in permitted):
        permitted.append(x509.IPAddress(ipaddress.ip_network("127.0.0.1/32")))
    return x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None)


def unconstrained_ca(certificate: x509.Certificate) -> bool:
    """A CA certificate without name constraints: it could sign for any site (N3)."""
    try:
        ca = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False
    try:
        certificate.extensions.get_extension_for_class(x509.NameConstraints)
    except x509.ExtensionNotFound:
        return ca
    return False


def make_certificate(cert_path: Path, key_path: Path, station_name: str, host: str,
                     now: dt.datetime | None = None) -> None:
    """A new self-signed certificate and key, written atomically (the key 0600)."""
    now = now or dt.datetime.now(dt.UTC)
    names = _names(host)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, socket.gethostname()),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, station_name[:64])])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_only_its_own(names), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, True, False, False,
                                         False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    _write(key_path, key_pem, 0o600)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)


def _write(path: Path, data: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def ensure_certificate(data_dir: Path, cert_file: Path | None, key_file: Path | None,
                       station_name: str, host: str) -> tuple[Path, Path]:
    """The pair to serve with; the station's own is made the first time."""
    cert_path, key_path = paths(data_dir, cert_file, key_file)
    if cert_file and key_file:
        for key, path in (("desk.cert_file", cert_path), ("desk.key_file", key_path)):
            if not path.is_file():
                raise ConfigError(key, f"{path} does not exist",
                                  "copy the county's file there, or remove both keys")
    elif not (cert_path.exists() and key_path.exists()):
        make_certificate(cert_path, key_path, station_name, host)
    elif unconstrained_ca(load_certificate(cert_path)):
        retire_unconstrained(cert_path, key_path)
        make_certificate(cert_path, key_path, station_name, host)
    return cert_path, key_path


def retire_unconstrained(cert_path: Path, key_path: Path) -> None:
    """The station's own certificate from before name constraints: its key is overwritten and
    removed (nothing may sign with it again), the certificate kept as ``desk-cert-old.pem``
    for doctor to name until the technicians have removed it from their PCs."""
    import logging
    _write(cert_path.with_name(OLD_CERT_NAME), cert_path.read_bytes(), 0o644)
    size = key_path.stat().st_size
    with open(key_path, "r+b") as handle:
        handle.write(b"\0" * size)
        handle.flush()
        os.fsync(handle.fileno())
    key_path.unlink()
    logging.getLogger(__name__).warning(
        "the desk certificate could sign for any site: replaced by one limited to this "
        "station's names; remove the old one (%s) from every desk PC's trusted certificates",
        fingerprint(cert_path.with_name(OLD_CERT_NAME)))


def load_certificate(cert_path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(cert_path.read_bytes())


def fingerprint(cert_path: Path) -> str:
    """SHA-256 of the certificate, as browsers show it: AB:CD:... (32 pairs)."""
    digest = load_certificate(cert_path).fingerprint(hashes.SHA256())
    return ":".join(f"{b:02X}" for b in digest)


def spki_sha256_base64(cert_path: Path) -> str:
    """The public key's hash that Chromium's --ignore-certificate-errors-spki-list takes."""
    import base64
    import hashlib
    spki = load_certificate(cert_path).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def server_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    """TLS 1.2 or newer, AEAD suites only (Mozilla's intermediate profile), with the pair; a
    broken pair is a ConfigError naming the key."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(CIPHERS)
    context.options |= ssl.OP_NO_COMPRESSION
    try:
        context.load_cert_chain(str(cert_path), str(key_path))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError("desk.cert_file", f"cannot use {cert_path} with {key_path} ({exc})",
                          "check that the key belongs to the certificate, both in PEM") from exc
    return context
