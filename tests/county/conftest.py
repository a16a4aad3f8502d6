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
