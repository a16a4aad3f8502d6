"""The suite on pytest-xdist workers (`./setup.sh test` passes `-n auto --dist loadgroup`).

Tests that share one expensive thing stay on one worker: every test under a folder of
``WORKER_GROUPS`` (tests/vm: the one booted virtual station, used in file order) is one unit of
work for the scheduler, whatever ``--dist`` was asked for with ``-n``. xdist's own
``xdist_group`` marks are honoured as well (tests/vm/conftest.py marks its tests), but with
pytest 9.2 and xdist 3.8 the mark no longer reaches the scheduler (pytest-dev/pytest-xdist#1386:
the worker renames the test's id, which pytest 9.2 ignores), so the folder is what counts.

Lines a test prints with ``figure:`` in them are repeated in a "figures" summary at the end
(with workers, captured output is otherwise only shown for failures; ``-s`` shows nothing of
theirs).
"""

from __future__ import annotations

import pytest

# folder (as test ids begin) -> group: one worker runs the whole folder, in collection order.
# The two tests that load a station from the LAN and time its taps meanwhile (N2, N4) share a
# worker, so that neither times its taps under the other's load.
WORKER_GROUPS = {"tests/vm/": "vm", "tests/security/test_n02_desk_log_spam.py": "lan-load",
                 "tests/security/test_n04_idle_connections.py": "lan-load"}
GROUPED_DIST = "loadgroup"


def group_of(nodeid: str) -> str | None:
    return next((group for folder, group in WORKER_GROUPS.items() if nodeid.startswith(folder)),
                None)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config) -> None:
    """Schedule by group whatever ``--dist`` came with ``-n`` (``each`` runs everything
    everywhere, so it is left alone)."""
    if not config.pluginmanager.hasplugin("xdist") or hasattr(config, "workerinput"):
        return
    if config.getoption("dist", "no") not in ("no", "each", GROUPED_DIST):
        config.option.dist = GROUPED_DIST


@pytest.hookimpl(optionalhook=True)  # a hook of xdist's: unknown with -p no:xdist
def pytest_xdist_make_scheduler(config, log):
    if config.getoption("dist") != GROUPED_DIST:
        return None
    from xdist.scheduler import LoadGroupScheduling

    class FolderGroupScheduling(LoadGroupScheduling):
        """LoadGroupScheduling that also groups by folder (see WORKER_GROUPS)."""

        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)  # the test itself unless marked with a group
            if scope == nodeid:
                return group_of(nodeid) or nodeid
            return scope

    return FolderGroupScheduling(config, log)


FIGURES: list[str] = []  # the controlling process gets the workers' reports too


def pytest_runtest_logreport(report) -> None:
    """Gather the ``figure:`` lines of every test's captured output."""
    for name, text in report.sections:
        if not name.endswith(f" {report.when}"):  # the sections of earlier phases come again
            continue
        FIGURES.extend(line[line.index("figure:"):].strip()
                       for line in text.splitlines() if "figure:" in line)


def pytest_terminal_summary(terminalreporter) -> None:
    if FIGURES:
        terminalreporter.section("figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
