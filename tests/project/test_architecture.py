"""The architecture rules, checked by tools rather than by a reviewer's memory.

- import-linter's contracts in pyproject.toml: packages by layer, imports only going down;
  the domain imports no web, hardware or database library; the web UI never imports the
  demo or the simulators; product code never imports sim/, demo/ or testing/; the county
  never imports the station; hardware libraries only in their adapters.
- No import loops between modules (the test names the loop it finds).
- Hardware libraries are imported inside functions, so nothing touches hardware at import.
- A soft module limit of 400 lines; ruff and mypy clean with the settings in pyproject.toml.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

import kiosk

PACKAGE = Path(kiosk.__file__).parent
ROOT = PACKAGE.parent
HARDWARE = {"smartcard", "escpos", "gpiozero"}
MAX_LINES = 400


def _tool(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).parent / name), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=240)


def test_import_linter_contracts_are_kept():
    result = _tool("lint-imports", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def import_loops(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every strongly connected group of modules, each as one loop through it (Tarjan)."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in sorted(graph.modules)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in edges[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = set()
            while (member := stack.pop()) != module:
                group.add(member)
            group.add(module)
            if len(group) > 1:
                groups.append(group)

    for module in edges:
        if module not in index:
            visit(module)
    return [_loop_through(group, edges) for group in groups]


def _loop_through(group: set[str], edges: dict[str, list[str]]) -> list[str]:
    """A path from the group's first module back to itself, staying inside the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        module = frontier.pop(0)
        for target in edges[module]:
            if target == start:
                return paths[module] + [start]
            if target in group and target not in paths:
                paths[target] = paths[module] + [target]
                frontier.append(target)
    return sorted(group)


def test_no_import_loops_between_modules():
    loops = import_loops(grimp.build_graph("kiosk"))
    assert not loops, "import loops: " + "; ".join(" -> ".join(loop) for loop in loops)


def test_the_loop_finder_names_a_loop():
    graph = grimp.ImportGraph()
    for name in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(name)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.c")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    assert import_loops(graph) == [["pkg.a", "pkg.b", "pkg.c", "pkg.a"]]


def test_hardware_imports_are_inside_functions():
    """Nothing touches hardware at import time: modules import their library lazily."""
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = {n.module.split(".")[0] if isinstance(n, ast.ImportFrom) and n.module else
                     n.names[0].name.split(".")[0] for n in tree.body
                     if isinstance(n, (ast.Import, ast.ImportFrom))}
        assert not top_level & HARDWARE, path.relative_to(ROOT)


def test_modules_stay_under_the_soft_limit():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split these by topic: {long}"


def test_ruff_is_clean():
    result = _tool("ruff", "check", "--no-cache", "kiosk", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean():
    result = _tool("mypy", "--no-incremental", "--cache-dir", "/dev/null")
    assert result.returncode == 0, result.stdout + result.stderr
