"""The suite on pytest-xdist workers (`./setup.sh test` passes `-n auto --dist loadgroup`).

Tests that share one expensive thing stay on one worker: every test under a folder of
``WORKER_GROUPS`` (tests/vm: the one booted virtual station, used in file order) is one unit of
work for the scheduler, whatever ``--dist`` was asked for with ``-n``. xdist's own
``xdist_group`` marks are honoured as well (tests/vm/conftest.py marks its tests), but with
pytest 9.2 and xdist 3.8 the mark no longer reaches the scheduler (pytest-dev/pytest-xdist#1386:
the worker renames the test's id, which pytest 9.2 ignores), so the folder is what counts.

Every other test module is one unit too, so that what a module sets up once for its tests
(a station and Chromium for tests/browser, a wheelhouse, an SD-card image: module-scoped
fixtures) is set up on one worker, not on each worker that got one of its tests.

The units go out in the order of the collection, which puts the groups first, then the longest
tests (those marked ``slow``), then the rest as collected (xdist's own reordering, by the number
of tests in a unit, is turned off: it put one-test five-minute modules last): a worker that
picks up a five-minute test near the end would hold the run open while the other idles. A
worker running a group takes no other work until its group is done, so that nothing queues
behind the virtual station's last minutes.

Lines a test prints with ``figure:`` in them are repeated in a "figures" summary at the end
(with workers, captured output is otherwise only shown for failures; ``-s`` shows nothing of
theirs).
"""

from __future__ import annotations

import pytest

# folder or module (as test ids begin) -> group: one worker runs it whole, in collection order.
# The two tests that load a station from the LAN and time its taps meanwhile (N2, N4) share a
# worker, so that neither times its taps under the other's load; the home-station modules share
# their county and station processes among their tests.
WORKER_GROUPS = {"tests/vm/": "vm", "tests/security/test_n02_desk_log_spam.py": "lan-load",
                 "tests/security/test_n04_idle_connections.py": "lan-load",
                 "tests/county/test_visitors_stations.py": "visitors",
                 "tests/security/test_n07_cross_station_care.py": "n07"}
GROUPED_DIST = "loadgroup"


def group_of(nodeid: str) -> str | None:
    return next((group for folder, group in WORKER_GROUPS.items() if nodeid.startswith(folder)),
                None)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items) -> None:
    """On xdist workers the groups' tests first (in WORKER_GROUPS' order), so the scheduler
    starts them at once; then, with or without xdist, those marked ``slow``. A stable sort:
    each test keeps its place among its kind, so a group's tests stay in file order whatever
    their marks. (In one process the groups keep their place: the virtual station is not
    booted before it is needed.)"""
    on_worker = hasattr(config, "workerinput")
    groups = list(dict.fromkeys(WORKER_GROUPS.values()))  # tests/vm's first: the longest

    def rank(item) -> tuple[int, int]:
        group = group_of(item.nodeid)
        if group:
            return (0, groups.index(group)) if on_worker else (2, 0)
        return (1, 0) if item.get_closest_marker("slow") else (2, 0)
    items.sort(key=rank)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config) -> None:
    """Schedule by group whatever ``--dist`` came with ``-n`` (``each`` runs everything
    everywhere, so it is left alone)."""
    if not config.pluginmanager.hasplugin("xdist") or hasattr(config, "workerinput"):
        return
    if config.getoption("dist", "no") not in ("no", "each", GROUPED_DIST):
        config.option.dist = GROUPED_DIST
    config.option.loadscopereorder = False  # the collection's order (see the docstring)


@pytest.hookimpl(optionalhook=True)  # a hook of xdist's: unknown with -p no:xdist
def pytest_xdist_make_scheduler(config, log):
    if config.getoption("dist") != GROUPED_DIST:
        return None
    from xdist.scheduler import LoadGroupScheduling

    class FolderGroupScheduling(LoadGroupScheduling):
        """LoadGroupScheduling by folder (see WORKER_GROUPS), else by module."""

        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)  # the test itself unless marked with a group
            if scope == nodeid:
                return group_of(nodeid) or nodeid.split("::", 1)[0]
            return scope

        def _reschedule(self, node) -> None:
            """No work queued behind a group still running (xdist tops a worker up once it has
            two tests left, which for the VM group are its longest)."""
            running = self.assigned_work.get(node, {})
            if any(scope in WORKER_GROUPS.values() and not all(tests.values())
                   for scope, tests in running.items()):
                return
            super()._reschedule(node)

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
