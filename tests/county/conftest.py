"""The county tests' fixtures: every county test runs on SQLite and on a private PostgreSQL."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def postgres():
    """One private PostgreSQL server per test session (CI installs postgresql; missing fails)."""
    from kiosk.testing.postgres import PostgresHarness
    harness = PostgresHarness()
    harness.start()
    yield harness
    harness.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def county_database(request):
    """Where a county under test keeps its data: None (SQLite in its data dir) or a fresh
    PostgreSQL database; every county test runs on both backends."""
    if request.param == "sqlite":
        yield None
        return
    import uuid
    yield request.getfixturevalue("postgres").new_database(f"county_{uuid.uuid4().hex[:12]}")


class CountyWeb:
    """A county app on a store with one user per role (argon2id hashing is slow on purpose,
    so the users are made once per module), a settable clock, and helpers to sign in."""

    PASSWORD = "correct horse battery staple"
    TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

    def __init__(self, database: str):
        import datetime as dt

        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from kiosk.adapters.clock import FakeClock
        from kiosk.county.bootstrap import open_store_at, wire
        from kiosk.keys import StationKey
        self.database = database
        self.clock = FakeClock(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
        self.key = StationKey(Ed25519PrivateKey.generate())
        self.store = open_store_at(database, self.clock)
        self.store.enroll("st-1", StationKey(Ed25519PrivateKey.generate()).public_bytes().hex(),
                          "2026-11-29T00:00:00.000000Z")
        self.services = wire(self.store, self.key, self.clock)
        users = self.services.users
        users.add("console", "ada", "admin", self.PASSWORD, self.TOTP, self.code())
        users.add("console", "olga", "officer", self.PASSWORD)
        users.add("console", "aud", "auditor", self.PASSWORD)
        self.clock.advance(seconds=30)  # the admin's enrolment code is used
        self.app = self.new_app()

    def new_app(self, settings=None):
        from kiosk.county.web.app import create_county_app
        if settings is not None:
            from dataclasses import replace
            return create_county_app(replace(self.services, settings=settings))
        return create_county_app(self.services)

    def reopen(self) -> None:
        """As after a restart: a new store, services and app on the same database."""
        from kiosk.county.bootstrap import open_store_at, wire
        self.store.close()
        self.store = open_store_at(self.database, self.clock)
        self.services = wire(self.store, self.key, self.clock)
        self.app = self.new_app()

    def code(self) -> str:
        from kiosk.county.domain.credentials import code_at
        return code_at(self.TOTP, self.clock.now())

    def client(self, address: str = "127.0.0.1"):
        client = self.app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return client

    @staticmethod
    def csrf(client) -> str:
        with client.session_transaction() as session:
            token = session.get("csrf_token")
        if token is None:
            client.get("/login")
            with client.session_transaction() as session:
                token = session["csrf_token"]
        return token

    def login(self, client, name: str, password: str | None = None, code: str | None = None):
        if name == "ada" and code is None:  # each code works once: the admin's next login waits a step
            self.clock.advance(seconds=30)
            code = self.code()
        return client.post("/login", data={"name": name, "password": password or self.PASSWORD,
                                           "code": code or "", "csrf_token": self.csrf(client)})

    def post(self, client, path: str):
        return client.post(path, data={"csrf_token": self.csrf(client)})


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def county_web(request, tmp_path_factory):
    """A CountyWeb per backend for the module (tests move its clock forward, never back)."""
    if request.param == "sqlite":
        web = CountyWeb(str(tmp_path_factory.mktemp("county-web") / "county.db"))
    else:
        import uuid
        web = CountyWeb(request.getfixturevalue("postgres").new_database(
            f"web_{uuid.uuid4().hex[:12]}"))
    yield web
    web.store.close()


def seed_histories(web: CountyWeb, seed: int = 0) -> dict:
    """Three stations' random signed histories (tests/reports/histories.py: residents with
    names and birth dates, check-ins, plans, visits, consent, November to April) enrolled
    and pushed through the county's intake in batches; the chains, by station."""
    from tests.reports.histories import county_events
    chains = county_events(seed)
    for station, events in chains.items():
        web.store.enroll(station, events[0].payload["public_key"], "2025-10-01T00:00:00.000000Z")
    for station, events in chains.items():
        for start in range(0, len(events), 250):
            web.services.intake.receive(web.store.station(station), list(events[start:start + 250]),
                                        None)
    return chains


@pytest.fixture(scope="module")
def report_web(tmp_path_factory):
    """A CountyWeb on SQLite with three stations' seeded histories pushed through intake."""
    web = CountyWeb(str(tmp_path_factory.mktemp("county-reports") / "county.db"))
    seed_histories(web)
    yield web
    web.store.close()
