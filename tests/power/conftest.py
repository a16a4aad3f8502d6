"""The power-cut tests' file system: tests/power/test_lazyfs.py proves what it keeps."""

from __future__ import annotations

import pytest

from kiosk.testing.power import PowerCutFS


@pytest.fixture
def lazyfs(tmp_path):
    """A mounted kiosk.testing.lazyfs (a mount that fails fails the test: never a skip)."""
    fs = PowerCutFS(tmp_path / "lazyfs")
    fs.mount()
    yield fs
    fs.unmount()
