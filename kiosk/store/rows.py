"""Rows as dicts: the small query helpers every SQLite repository and read model uses."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database


def rows(db: Database, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=False)) for row in cursor.fetchall()]


def one(db: Database, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()
        ) -> dict[str, Any] | None:
    cursor = db.execute(sql, params)
    row = cursor.fetchone()
    return dict(zip([c[0] for c in cursor.description], row, strict=False)) if row is not None else None
