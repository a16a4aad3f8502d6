"""The layering rules, checked: the domain imports no web, hardware or database library."""

import ast
from pathlib import Path

import kiosk

PACKAGE = Path(kiosk.__file__).parent
FORBIDDEN_IN_DOMAIN = {"flask", "smartcard", "escpos", "gpiozero", "sqlite3", "sqlite_utils"}
HARDWARE = {"smartcard": {"pcsc_reader.py"}, "escpos": {"printers.py", "escpos_render.py", "escpos_devices.py"},
            "gpiozero": {"signals.py"}}


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_domain_imports_no_framework_or_hardware():
    for path in (PACKAGE / "domain").glob("*.py"):
        assert not imports_of(path) & FORBIDDEN_IN_DOMAIN, path.name


def test_hardware_libraries_only_in_their_adapters():
    for path in PACKAGE.rglob("*.py"):
        for library, home in HARDWARE.items():
            if library in imports_of(path):
                assert path.name in home | {"doctor.py", "station.py"}, f"{library} in {path}"


def test_hardware_imports_are_inside_functions():
    """Nothing touches hardware at import time: adapters import their library lazily."""
    for path in (PACKAGE / "adapters").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = {n.module.split(".")[0] if isinstance(n, ast.ImportFrom) and n.module else
                     n.names[0].name.split(".")[0] for n in tree.body
                     if isinstance(n, (ast.Import, ast.ImportFrom))}
        assert not top_level & set(HARDWARE), path.name


def test_modules_stay_small():
    for path in PACKAGE.rglob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 230, path.name
