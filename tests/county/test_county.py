"""The county receiver and the station's sync worker (issue 5, first part).

Protocol rules through the Flask app, then a real `kiosk-county serve` process on
loopback with a real station database: down first, up later, everything
delivered once and in order, acknowledgements signed and kept.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.adapters.county import HttpCountyLink
from kiosk.county.bootstrap import county_app
from kiosk.domain.chain import verify_chain
from kiosk.keys import StationKey
from kiosk.ports import CountyRefused
from kiosk.protocol.sync import verify_ack
from kiosk.sim.county import FakeCountyLink
from kiosk.store.sync_log import sync_state
from kiosk.sync.worker import SyncWorker
from tests.unit.test_events import make_chain


@pytest.fixture
def county(tmp_path, county_database):
    from kiosk.county.bootstrap import open_store_at as open_store
    store = open_store(county_database or str(tmp_path / "county.db"))
    county_key = StationKey(Ed25519PrivateKey.generate())
    station_key = StationKey(Ed25519PrivateKey.generate())
    store.enroll("st-1", station_key.public_bytes().hex(), "2026-11-29T00:00:00+00:00")
    client = county_app(store, county_key).test_client()
    return store, client, county_key, station_key


def push(client, events, station="st-1"):
    return client.post(f"/api/v1/stations/{station}/events",
                       data=json.dumps({"events": [vars(e) for e in events]}),
                       content_type="application/json")


def test_batch_is_stored_and_acknowledged_with_a_signature(county):
    store, client, county_key, station_key = county
    events = make_chain(station_key, 5)
    response = push(client, events)
    assert response.status_code == 200
    ack = verify_ack(response.json, county_key.public)
    assert (ack["station_id"], ack["seq"], ack["hash"]) == ("st-1", 5, events[-1].hash)
    assert [e.hash for e in store.events("st-1")] == [e.hash for e in events]


def test_resending_is_a_no_op_with_the_same_acknowledgement(county):
    store, client, _, station_key = county
    events = make_chain(station_key, 5)
    first = push(client, events).json
    again = push(client, events[1:4]).json
    assert (again["seq"], again["hash"]) == (first["seq"], first["hash"])
    assert store.count("st-1") == 5


def test_gap_answers_409_with_the_next_sequence(county):
    _, client, _, station_key = county
    events = make_chain(station_key, 6)
    push(client, events[:2])
    response = push(client, events[4:])
    assert response.status_code == 409 and response.json == {"error": "gap", "expected_seq": 3}


def test_fork_is_kept_aside_and_answered_409(county):
    store, client, _, station_key = county
    push(client, make_chain(station_key, 3))
    other = make_chain(station_key, 3)  # same station key, different events at the same seqs
    response = push(client, other[1:])
    assert response.status_code == 409 and response.json["error"] == "fork"
    assert store.count("st-1") == 3 and store.forks("st-1")[0]["seq"] == 2


def test_altered_event_replay_under_another_id_and_revoked_key_are_refused(county, tmp_path):
    store, client, _, station_key = county
    events = make_chain(station_key, 3)
    altered = dataclasses.replace(events[0], payload={"i": 0, "name": "李明"})
    assert push(client, [altered]).status_code == 400
    store.enroll("st-2", StationKey(Ed25519PrivateKey.generate()).public_bytes().hex(), "t")
    assert push(client, events, station="st-2").status_code == 400  # st-1's events as st-2
    assert push(client, events, station="st-9").status_code == 403  # never enrolled
    client.application.extensions["county"].stations.revoke("st-1")
    response = push(client, events)
    assert response.status_code == 403 and response.json["error"] == "station_revoked"
    assert store.count() == 0


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"events": []}',
                                  b'{"events": [{"seq": 1}]}', b'{"events": "x"}',
                                  json.dumps({"events": [{"v": True}]}).encode()])
def test_malformed_requests_are_400_never_500(county, body):
    store, client, _, _ = county
    response = client.post("/api/v1/stations/st-1/events", data=body,
                           content_type="application/json")
    assert response.status_code == 400 and response.json["error"] == "malformed"
    assert store.count() == 0


def test_sync_worker_with_the_fake_county(core):
    county_key = StationKey(Ed25519PrivateKey.generate())
    link = FakeCountyLink({core.config.station.id: core.key.public}, county_key)
    worker = SyncWorker(core.writer, link, core.config.station.id, county_key.public)
    for n in range(30):
        with core.uow() as uow:
            uow.record("test.thing", {"n": n})
            uow.commit()
    link.down = True
    with pytest.raises(OSError):
        worker.push_pending()
    assert sync_state(core.db).backlog == 31
    link.down = False
    state = worker.push_pending()
    assert state.backlog == 0 and [e.seq for e in link.received] == list(range(1, 32))
    assert 1 <= worker.next_delay() <= 600 or worker.failures == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def county_cli(data_dir: Path, *args: str, database: str | None = None) -> str:
    from kiosk.county.cli import main
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir),
                                       *(["--database", database] if database else []), *args])
    assert result.exit_code == 0, result.output
    return result.output


def start_county(data_dir: Path, port: int, database: str | None = None,
                 stderr=subprocess.DEVNULL) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.county", "--data-dir", str(data_dir),
                             *(["--database", database] if database else []),
                             "serve", "--port", str(port)], stderr=stderr,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("county did not start")


def test_county_down_then_up_over_real_http(core, tmp_path, county_database):
    data_dir, db = tmp_path / "county", county_database
    county_public = county_cli(data_dir, "init", database=db).split("public key (hex): ")[1].strip()
    county_cli(data_dir, "enroll", "--station", core.config.station.id,
               "--pubkey", core.key.public_bytes().hex(), database=db)
    for n in range(1200):  # more than two batches
        with core.uow() as uow:
            uow.record("test.thing", {"n": n, "name": "王秀华"})
            uow.commit()
    port = free_port()
    from kiosk.keys import public_key_from_hex
    worker = SyncWorker(core.writer, HttpCountyLink(f"http://127.0.0.1:{port}"),
                        core.config.station.id, public_key_from_hex(county_public))
    with pytest.raises(OSError):  # the county is down: nothing lost, try later
        worker.push_pending()
    proc = start_county(data_dir, port, db)
    try:
        state = worker.push_pending()
        assert state.backlog == 0 and state.acked_seq == 1201
        from kiosk.county.bootstrap import open_store_at as open_store
        store = open_store(db or str(data_dir / "county.db"))
        stored = store.events(core.config.station.id, limit=5000)
        assert [e.seq for e in stored] == list(range(1, 1202))
        assert verify_chain(stored, core.key.public, core.config.station.id).problems == []
        output = county_cli(data_dir, "stations", database=db)
        assert f"{core.config.station.id}  enrolled  events 1201" in output
        county_cli(data_dir, "revoke", "--station", core.config.station.id, database=db)
        with core.uow() as uow:
            uow.record("test.thing", {"n": "after revoke"})
            uow.commit()
        with pytest.raises(CountyRefused) as refused:
            worker.push_pending()
        assert refused.value.status == 403 and store.count(core.config.station.id) == 1201
    finally:
        proc.terminate()
        proc.wait(10)


def county_for(core, station_dir: Path, data_dir: Path) -> tuple[Path, int]:
    """A county (not started) with the core's station enrolled, and the station's config
    pointed at it: (the config path, the county's port)."""
    county_public = county_cli(data_dir, "init").split("public key (hex): ")[1].strip()
    county_cli(data_dir, "enroll", "--station", core.config.station.id,
               "--pubkey", core.key.public_bytes().hex())
    port = free_port()
    path = station_dir / "kiosk.toml"
    path.write_text(path.read_text() + f'\n[county]\nurl = "http://127.0.0.1:{port}"\n'
                    f'public_key = "{county_public}"\n')
    return path, port


def test_kiosk_sync_once_from_the_console(core, station_dir, tmp_path):
    from kiosk.cli.main import main
    data_dir = tmp_path / "county"
    path, port = county_for(core, station_dir, data_dir)
    runner = CliRunner()
    down = runner.invoke(main, ["--config", str(path), "sync", "--once"])
    assert down.exit_code == 1 and "同步失败 / Sync failed" in down.output
    proc = start_county(data_dir, port)
    try:
        result = runner.invoke(main, ["--config", str(path), "sync", "--once"])
        assert result.exit_code == 0, result.output
        assert "已同步 / In sync: 1" in result.output
    finally:
        proc.terminate()
        proc.wait(10)


def test_county_url_needs_the_county_key():
    from kiosk.config.loader import parse_config
    from kiosk.errors import ConfigError
    with pytest.raises(ConfigError) as info:
        parse_config({"station": {"id": "st-1"}, "county": {"url": "https://county.example/"}})
    assert info.value.key == "county.public_key"


def sign_in(client, name: str, password: str, code: str = "") -> None:
    client.get("/login")
    with client.session_transaction() as session:
        token = session["csrf_token"]
    response = client.post("/login", data={"name": name, "password": password, "code": code,
                                           "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)


def test_county_pages_metrics_and_openapi(county):
    import datetime as dt

    from kiosk.county.domain.credentials import code_at
    store, client, _, station_key = county
    events = make_chain(station_key, 4)
    from kiosk.protocol.sync import push_headers
    body = json.dumps({"events": [vars(e) for e in events[:3]]}).encode()
    client.post("/api/v1/stations/st-1/events", data=body, content_type="application/json",
                headers=push_headers("st-1", body, "2030-01-01T00:00:00+00:00", 4, station_key))
    users, secret = client.application.extensions["county"].users, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    users.add("console", "it.admin", "admin", "a long admin passphrase", secret,
              code_at(secret, dt.datetime.now(dt.UTC)))
    users.add("console", "aud", "auditor", "a long auditor passphrase")
    assert client.get("/").status_code == 302  # nothing without a login
    sign_in(client, "it.admin", "a long admin passphrase",
            code_at(secret, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)))
    page = client.get("/stations").get_data(as_text=True)
    assert 'data-station="st-1"' in page and "时钟偏差超过 5 分钟" in page and "<svg" in page
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'kiosk_county_events_stored{station="st-1"} 3' in metrics
    assert 'kiosk_county_station_backlog_estimate{station="st-1"} 1' in metrics
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.") and "/api/v1/stations/{station_id}/events" in spec["paths"]
    assert client.get("/stations/nope").status_code == 404
    auditor = client.application.test_client()
    sign_in(auditor, "aud", "a long auditor passphrase")
    browser = auditor.get("/events/st-1").get_data(as_text=True)
    assert "test.thing" in browser and "王秀华" not in browser  # no payloads on the page


def test_county_time_sets_the_station_clock_and_sync_now(core, tmp_path):
    """The signed acknowledgement's time is one of the station's time sources: a station whose
    clock nothing vouched for (two days behind) takes the county's time from it."""
    import threading

    from kiosk.adapters.clock import FakeClock
    from kiosk.adapters.station_clock import StationClock
    from kiosk.sync.worker import sync_now
    real = dt.datetime.now(dt.UTC)
    clock = StationClock(FakeClock(real - dt.timedelta(days=2)), ntp_flag=tmp_path / "none",
                         rtc_dir=tmp_path / "no-rtc")
    assert clock.source() == "not_set"
    county_key = StationKey(Ed25519PrivateKey.generate())
    link = FakeCountyLink({core.config.station.id: core.key.public}, county_key)
    worker = SyncWorker(core.writer, link, core.config.station.id, county_key.public,
                        trigger_dir=tmp_path, clock=clock, county_time=clock.county_said)
    worker.push_pending()  # the fake county's time is this machine's
    assert clock.source() == "county" and abs(clock.now() - real) < dt.timedelta(minutes=1)
    sync_now(tmp_path)
    started = time.monotonic()
    worker._sleep(30, threading.Event())  # woken by the technician's "sync now"
    assert time.monotonic() - started < 3 and not (tmp_path / "sync-now").exists()


def test_status_strip_asks_staff_to_set_the_clock_and_shows_the_backlog():
    from kiosk.station.hub import ScreenHub, SyncInfo
    from kiosk.web import create_app
    hub = ScreenHub()
    client = create_app(hub).test_client()
    assert "clock-not-set" not in client.get("/").get_data(as_text=True)
    hub.sync_status(SyncInfo(12, None))
    hub.clock_status("not_set")
    page = client.get("/").get_data(as_text=True)
    assert 'id="clock-not-set"' in page and "待发送 12" in page
    hub.sync_status(SyncInfo(0, "2026-11-29T01:00:00+00:00"))
    hub.clock_status("county")
    page = client.get("/").get_data(as_text=True)
    assert "已与县级同步" in page and "clock-not-set" not in page


def test_enrolment_code_from_keygen_enrols_the_station(tmp_path):
    from kiosk.cli.main import main
    from kiosk.testing.station import write_station_config
    path = write_station_config(tmp_path / "st", None, station_id="xinglong-01")
    result = CliRunner().invoke(main, ["--config", str(path), "keygen", "--qr"])
    assert result.exit_code == 0, result.output
    code = result.output.split("登记码 / Enrolment code: ")[1].split()[0]
    assert code.startswith("kiosk-station:v1:xinglong-01:") and "█" in result.output
    county_cli(tmp_path / "county", "enroll", "--code", code)
    assert "xinglong-01  enrolled" in county_cli(tmp_path / "county", "stations")
    from kiosk.county.cli import main as county_main
    bad = CliRunner().invoke(county_main, ["--data-dir", str(tmp_path / "county"), "enroll",
                                           "--code", "nonsense"])
    assert bad.exit_code == 2


def self_signed(tmp_path):
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "county.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=9))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(
                ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "county.pem", tmp_path / "county.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_https_with_the_ca_bundle_from_config(county, tmp_path):
    """The county behind TLS: the station trusts exactly the configured CA bundle."""
    import ssl
    import threading

    from werkzeug.serving import make_server
    store, client, county_key, station_key = county
    cert, key = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = make_server("127.0.0.1", 0, client.application, ssl_context=context, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"https://127.0.0.1:{server.server_port}"
    events = make_chain(station_key, 3)
    try:
        with pytest.raises(OSError):  # not trusted without the county's CA
            HttpCountyLink(url).push("st-1", events)
        ack = HttpCountyLink(url, ca_bundle=str(cert)).push("st-1", events)
        assert verify_ack(vars(ack), county_key.public)["seq"] == 3
    finally:
        server.shutdown()


def test_enrolment_slip_prints_the_code_as_a_qr(tmp_path):
    from kiosk.cli.main import main
    from kiosk.config.loader import load_config
    from kiosk.keys import generate_key_file
    from kiosk.testing.station import write_station_config
    path = write_station_config(tmp_path / "st", None, station_id="xinglong-01")
    generate_key_file(load_config(path).station.key_file)
    result = CliRunner().invoke(main, ["--config", str(path), "print-test", "--enrolment",
                                       "--capture", "--save", str(tmp_path / "img")])
    assert result.exit_code == 0, result.output
    assert "服务站登记 Station enrolment" in result.output and "raster" in result.output
    printed = "".join(line.split("| ", 1)[1] for line in result.output.splitlines()
                      if line.startswith("text") and "kiosk-station" in result.output)
    assert "kiosk-station:v1:xinglong-01:" in printed
    assert (tmp_path / "img" / "line-01.png").exists()


def test_serve_on_a_busy_port_says_so_in_one_line(tmp_path):
    """`kiosk-county serve` on a port something else holds: one bilingual line, no traceback."""
    county_cli(tmp_path, "init")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "kiosk.county", "--data-dir", str(tmp_path),
                                 "serve", "--port", str(port)], capture_output=True, text=True,
                                timeout=60)
    assert result.returncode == 1
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, lines
    assert f"端口 {port}" in lines[0] and f"Port {port} on 127.0.0.1 is already in use" in lines[0]
