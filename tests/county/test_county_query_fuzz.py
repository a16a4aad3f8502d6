"""Hostile query parameters on every county route (issue 23, N14): never a 500, never a
traceback in the log. Routes come from Flask's URL map (as test_county_access.py walks it),
each route's parameters from what its view reads (a recording ``request.args``), so a new
route or parameter is fuzzed without being listed here. Each route is asked anonymously, as
each role its blueprint admits, and, on the station API, also signed by the station (so the
hostile values get past the signature check). On SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

import flask
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Request
from werkzeug.datastructures import ImmutableMultiDict

from kiosk.county.web.pages.guard import ACCESS, PUBLIC, STATION
from kiosk.keys import StationKey
from kiosk.protocol.station_requests import canonical_query, request_message

VALUES = ["²", "١٢", "１２", "9" * 20, str(10**30), "-1", "+1", "", "0x10", "1e3", " 1",
          "1\x00", "\x00", "st-1:1,st-1:2", "st-1:" + "9" * 30, "ø" * 300, "%", "a,b:c"]
RAW = [b"%ff%fe", b"%00"]  # not UTF-8; a NUL byte
ARGUMENTS = {"station_id": "st-1", "name": "nobody"}
HOSTILE_PATHS = ["²", "x" * 300, "st-1\x00", "..", "%"]
SKIP = {"auth.logout"}  # it would end the session the other routes are asked in
USERS = {"admin": "ada", "officer": "olga", "auditor": "aud"}
read: set[str] = set()


class RecordingArgs(ImmutableMultiDict):
    """request.args that notes every name a view asks for (request.form, of the same class,
    notes nothing: form fields are not the query)."""

    def _note(self, key) -> None:
        if self is flask.request.args:
            read.add(key)

    def get(self, key, default=None, type=None):  # noqa: A002 (werkzeug's signature)
        self._note(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        self._note(key)
        return super().getlist(key, type)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)


class RecordingRequest(Request):
    parameter_storage_class = RecordingArgs


@pytest.fixture(scope="module")
def app(county_web):
    app = county_web.new_app()
    app.request_class = RecordingRequest
    successor = StationKey(Ed25519PrivateKey.generate())  # st-1 may restore to it
    county_web.services.stations.replace_key("st-1", successor.public_bytes().hex())
    station = StationKey(Ed25519PrivateKey.generate())
    county_web.store.enroll("st-2", station.public_bytes().hex(), "2026-11-29T00:00:00.000000Z")
    return app, {"st-1": successor, "st-2": station}


def routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP or rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def path_of(rule, value: str | None = None) -> str:
    path = rule.rule
    for argument in rule.arguments:
        filled = quote(value, safe="") if value is not None else ARGUMENTS.get(argument, "x")
        path = re.sub(rf"<(?:[^:>]+:)?{argument}>", lambda _m, f=filled: f, path)
    return path


def queries(names: set[str]) -> list[bytes]:
    out = []
    for name in sorted(names):
        key = quote(name, safe="").encode()
        out += [key + b"=" + quote(value, safe="").encode() for value in VALUES]
        out += [key + b"=" + raw for raw in RAW]
        out += [key + b"=1&" + key + b"=2", key, key + b"=" + b"9" * 4000]
    return out


def callers(county_web, policy):
    """(who, test client) for a blueprint's policy: anonymous, or signed in as each role."""
    if policy in (PUBLIC, STATION):
        return [("anonymous", county_web.client("10.0.7.1"))]
    clients = []
    for role in sorted(policy):
        client = county_web.client(f"10.0.7.{10 + len(clients)}")
        assert county_web.login(client, USERS[role]).status_code == 302
        clients.append((role, client))
    return clients


def signed_headers(path: str, query: bytes, county_web, keys) -> dict[str, str] | None:
    """The station's own signature over this request (version 2), when it can be made."""
    from urllib.parse import parse_qsl
    station = "st-1" if "/stations/" in path else "st-2"
    try:
        params = parse_qsl(query.decode(), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return None
    time = county_web.clock.now().isoformat()
    message = request_message(station, "GET", path, canonical_query(params), time)
    return {"X-Station-Id": station, "X-Station-Time": time,
            "X-Station-Signature": keys[station].sign(message).hex()}


def ask(client, method, path, query: bytes, county_web, headers=None):
    query = query.decode("ascii")  # percent-encoded: the raw bytes are in the escapes
    if method == "POST":
        return client.post(path, query_string=query, headers=headers,
                           data={"csrf_token": county_web.csrf(client)})
    return client.open(path, method=method, query_string=query, headers=headers)


def test_no_hostile_query_gets_a_500_or_a_traceback(county_web, app, caplog):
    app, keys = app
    county_web.app = app
    asked = 0
    with caplog.at_level(logging.WARNING):
        by_blueprint: dict[str, list] = {}
        for rule, method in routes(app):
            blueprint = rule.endpoint.split(".")[0]
            policy = ACCESS[blueprint]
            if blueprint not in by_blueprint:
                by_blueprint[blueprint] = callers(county_web, policy)
            for who, client in by_blueprint[blueprint]:
                read.clear()
                first = ask(client, method, path_of(rule), b"", county_web)
                assert first.status_code < 500, (who, method, rule.rule)
                # Every hostile value for each name the view reads; a view that reads none
                # gets one unknown parameter (it cannot change an answer it never reads).
                hostile = queries(set(read)) if read else [b"zz=%00&zz=" + b"9" * 30]
                for query in hostile + [b"zz=%ff"]:
                    headers = (signed_headers(path_of(rule), query, county_web, keys)
                               if policy == STATION and method == "GET" else None)
                    for sent in ([None, headers] if headers else [None]):
                        response = ask(client, method, path_of(rule), query, county_web, sent)
                        asked += 1
                        assert response.status_code < 500, (who, method, rule.rule, query)
                for value in HOSTILE_PATHS if rule.arguments else []:
                    response = ask(client, method, path_of(rule, value), b"", county_web)
                    asked += 1
                    assert response.status_code < 500, (who, method, rule.rule, value)
    assert asked > 300, asked
    assert not [r for r in caplog.records if r.exc_info], caplog.text[-3000:]
    assert "Traceback" not in caplog.text


def test_the_fuzz_reaches_the_parameters_that_matter(county_web, app):
    """The recording sees what the views read: after, limit and v, before (else the fuzz
    above would be asking nothing)."""
    app, _keys = app
    county_web.app = app
    client = county_web.client("10.0.7.99")
    seen = set()
    for path in ("/api/v1/roster", "/api/v1/stations/st-1/restore"):
        read.clear()
        app.test_client().get(path)
        seen |= read
    assert {"after", "limit", "v"} <= seen
    assert county_web.login(client, "aud").status_code == 302
    read.clear()
    client.get("/audit")
    assert "before" in read
