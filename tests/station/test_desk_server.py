"""The desk's HTTPS listener in a real station process: its own certificate made at first
start (the fingerprint it prints is that certificate's), HTTPS that verifies against exactly
that certificate, plain HTTP to the LAN port refused, and the public screen still plain HTTP
on 127.0.0.1 only."""

from __future__ import annotations

import http.client
import socket
import ssl
import stat
import urllib.error
import urllib.request

import pytest

from kiosk.adapters import desk_tls
from kiosk.config.loader import load_config
from kiosk.keys import generate_key_file
from kiosk.testing.station import StationProcess, write_station_config


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def station(tmp_path_factory):
    directory = tmp_path_factory.mktemp("desk")
    desk_port = free_port()
    config_path = write_station_config(directory, None, ui_port=free_port(), extra=(
        f'\n[desk]\nenabled = true\nhost = "127.0.0.1"\nport = {desk_port}\n'))
    generate_key_file(load_config(config_path).station.key_file)
    process = StationProcess(config_path)
    process.start()
    yield process, directory, desk_port
    process.stop()


def test_the_station_makes_its_certificate_and_prints_its_fingerprint(station):
    process, directory, port = station
    cert, key = directory / desk_tls.CERT_NAME, directory / desk_tls.KEY_NAME
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert process.desk_fingerprint == desk_tls.fingerprint(cert)
    assert len(process.desk_fingerprint.split(":")) == 32
    assert process.desk_url == f"https://127.0.0.1:{port}/staff/"


def test_https_verifies_against_the_station_certificate_alone(station):
    process, directory, port = station
    trusting = ssl.create_default_context(cafile=str(directory / desk_tls.CERT_NAME))
    with urllib.request.urlopen(process.desk_url, context=trusting, timeout=10) as response:
        assert response.status == 200 and 'id="desk-login"' in response.read().decode()
        assert response.url.endswith("/staff/desk/login")
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        urllib.request.urlopen(process.desk_url, context=ssl.create_default_context(), timeout=10)


def test_plain_http_to_the_desk_port_gets_no_answer(station):
    _, _, port = station
    plain = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        plain.request("GET", "/staff/")
        plain.getresponse()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:  # nor any TLS-less byte
        raw.sendall(b"GET /staff/ HTTP/1.0\r\n\r\n")
        assert b"HTTP/" not in raw.recv(4096)


def test_a_silent_client_does_not_hold_up_the_desk(station):
    process, directory, port = station
    with socket.create_connection(("127.0.0.1", port), timeout=10):  # connects, never speaks
        context = ssl.create_default_context(cafile=str(directory / desk_tls.CERT_NAME))
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
                context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(b"GET /staff/desk/login HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            assert tls.recv(64).startswith(b"HTTP/1.")


def test_the_public_screen_stays_plain_http_on_loopback(station):
    process, _, _ = station
    assert process.ui_url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(process.ui_url, timeout=10) as response:
        assert response.status == 200
    with pytest.raises(urllib.error.HTTPError, match="404"):
        urllib.request.urlopen(process.ui_url + "staff/desk/login", timeout=10)


def test_doctor_and_the_enrolment_slip_show_the_fingerprint(station):
    process, directory, _ = station
    config = load_config(directory / "kiosk.toml")
    from kiosk.ops.doctor import run_checks
    from kiosk.ops.print_sample import enrolment_receipt
    desk = next(c for c in run_checks(config) if c.name == "desk certificate")
    assert desk.ok and process.desk_fingerprint in desk.detail
    slip = ":".join(enrolment_receipt(config).lines[4:])
    assert slip == process.desk_fingerprint


def test_a_county_certificate_is_used_as_configured(tmp_path):
    """desk.cert_file/key_file: the station serves that pair and makes none of its own."""
    from kiosk.bootstrap import build_core, build_desk
    from kiosk.station.staff_desk import StaffDesk
    issued = tmp_path / "county"
    desk_tls.make_certificate(issued / "desk.pem", issued / "desk.key", "县发", "127.0.0.1")
    config_path = write_station_config(tmp_path / "st", None, extra=(
        f'\n[desk]\nenabled = true\ncert_file = "{issued / "desk.pem"}"\n'
        f'key_file = "{issued / "desk.key"}"\n'))
    config = load_config(config_path)
    generate_key_file(config.station.key_file)
    core = build_core(config)
    try:
        built = build_desk(config, core, StaffDesk())
        assert built is not None and built[2] == desk_tls.fingerprint(issued / "desk.pem")
        assert not (tmp_path / "st" / desk_tls.CERT_NAME).exists()
    finally:
        core.close()
