"""The suite's xdist scheduler (tests/parallel.py) driven by simulated workers that behave like
xdist's: a worker runs a test only once it knows the next one, or has been told to stop. The
scheduler once held a group's last test back from such a worker and the whole CI run hung."""

from __future__ import annotations

from types import SimpleNamespace

from tests.parallel import pytest_xdist_make_scheduler


class SimulatedWorker:
    """What the scheduler sees of an xdist worker, and a worker's own rule for running tests."""

    def __init__(self, name: str) -> None:
        self.gateway = SimpleNamespace(id=name)
        self.shutting_down = False
        self.queue: list[int] = []

    def send_runtest_some(self, indices: list[int]) -> None:
        self.queue.extend(indices)

    def send_runtest_all(self) -> None:  # pragma: no cover - not used by load scheduling
        raise AssertionError("load scheduling sends tests one unit at a time")

    def shutdown(self) -> None:
        self.shutting_down = True

    def runnable(self) -> int | None:
        """The next test this worker would run now: it needs a test after it, or a shutdown."""
        if len(self.queue) > 1 or (self.queue and self.shutting_down):
            return self.queue.pop(0)
        return None


def run_to_the_end(collection: list[str]) -> list[str]:
    config = SimpleNamespace(getoption=lambda name, default=None: "loadgroup",
                             getvalue=lambda name: ["2*popen"] if name == "tx" else None,
                             option=SimpleNamespace(loadscopereorder=False))
    scheduler = pytest_xdist_make_scheduler(config, None)
    workers = [SimulatedWorker("gw0"), SimulatedWorker("gw1")]
    for worker in workers:
        scheduler.add_node(worker)
        scheduler.add_node_collection(worker, collection)
    scheduler.schedule()
    ran: list[str] = []
    for _ in range(10 * len(collection)):
        progress = False
        for worker in workers:
            index = worker.runnable()
            if index is not None:
                ran.append(collection[index])
                scheduler.mark_test_complete(worker, index)
                progress = True
        if not progress:
            break
    return ran


def test_a_group_ending_on_a_worker_does_not_hang_the_run() -> None:
    collection = ["tests/vm/test_a.py::test_boot", "tests/vm/test_a.py::test_power",
                  "tests/security/test_n07_cross_station_care.py::test_one",
                  "tests/security/test_n07_cross_station_care.py::test_two",
                  "tests/web/test_x.py::test_1", "tests/web/test_x.py::test_2",
                  "tests/web/test_y.py::test_1", "tests/web/test_z.py::test_1",
                  "tests/web/test_w.py::test_1"]
    ran = run_to_the_end(collection)
    assert sorted(ran) == sorted(collection)
    # the groups' tests stay in their order
    assert [t for t in ran if t.startswith("tests/vm/")] == collection[:2]
