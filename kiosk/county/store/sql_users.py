"""The county users' SQL (accounts, sessions, login failures, the audit trail): added with
the county's logins; empty mixins until then."""

from __future__ import annotations


class UserReads:
    """Reads of the users' tables (kiosk.county.store.sql.SqlCountyStore mixes them in)."""


class UserWrites:
    """Writes of the users' tables (kiosk.county.store.sql.SqlWriting mixes them in)."""
