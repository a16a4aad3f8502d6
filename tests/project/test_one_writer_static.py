"""One writer per database, checked in the source: no module but the connection factory
(kiosk/store/database.py) calls sqlite3.connect, and only the writer module opens a writing
connection to the station's database (docs/architecture.md, "One writer per database")."""

from __future__ import annotations

import ast
from pathlib import Path

import kiosk

ROOT = Path(kiosk.__file__).parent
FACTORY = ROOT / "store" / "database.py"
WRITER = ROOT / "store" / "writer.py"


def calls(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, dotted name) of every call, and every import of sqlite3's connect."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                found.append((node.lineno, f"{func.value.id}.{func.attr}"))
            elif isinstance(func, ast.Name):
                found.append((node.lineno, func.id))
        elif isinstance(node, ast.ImportFrom) and node.module == "sqlite3":
            found.extend((node.lineno, f"sqlite3.{a.name}") for a in node.names)
    return found


def offenders(names: set[str], allowed: set[Path]) -> list[str]:
    return [f"{path.relative_to(ROOT.parent)}:{line} {name}"
            for path in sorted(ROOT.rglob("*.py")) if path not in allowed
            for line, name in calls(ast.parse(path.read_text(encoding="utf-8")))
            if name in names]


def test_only_the_factory_calls_sqlite3_connect():
    assert offenders({"sqlite3.connect", "sqlite3.dbapi2"}, {FACTORY}) == []


def test_only_the_writer_opens_a_writing_connection():
    assert offenders({"connect_writer", "database.connect_writer", "open_database",
                      "database.open_database"}, {FACTORY, WRITER}) == []


def test_the_scan_sees_a_call():
    tree = ast.parse("import sqlite3\nsqlite3.connect('x')\nfrom sqlite3 import connect\n")
    assert [name for _, name in calls(tree)] == ["sqlite3.connect", "sqlite3.connect"]
