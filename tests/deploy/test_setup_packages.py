"""setup.sh demo and test (issue 21): the demo's venv gets the kiosk without its test extra,
`test` adds it; CI installs Debian packages through setup.sh's one list, which holds what the
tests call. A stand-in venv (KIOSK_VENV) records what setup.sh asks of pip and the kiosk."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def recording_venv(tmp_path) -> tuple[Path, Path]:
    venv, calls = tmp_path / "venv", tmp_path / "calls.log"
    (venv / "bin").mkdir(parents=True)
    for name in ("python", "kiosk"):
        program = venv / "bin" / name
        program.write_text(f'#!/bin/sh\nprintf "{name} %s\\n" "$*" >>"{calls}"\n')
        program.chmod(0o755)
    return venv, calls


def setup(venv: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(REPO / "setup.sh"), *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "KIOSK_VENV": str(venv)})


def apt_list(name: str) -> list[str]:
    found = re.search(rf"^readonly {name}=\(([^)]*)\)", (REPO / "setup.sh").read_text(), re.M)
    assert found, name
    return found.group(1).split()


def test_the_demo_installs_the_kiosk_without_its_test_tools(recording_venv):
    venv, calls = recording_venv
    result = setup(venv, "demo", "--", "--port", "8090")
    assert result.returncode == 0, result.stdout + result.stderr
    pip, kiosk = calls.read_text().splitlines()
    assert pip.endswith(f"-e {REPO}") and "[test]" not in pip
    assert kiosk == "kiosk demo --port 8090"


def test_the_test_command_adds_the_test_extra_to_the_same_venv(recording_venv):
    venv, calls = recording_venv
    result = setup(venv, "test", "--", "--co", "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    pip, pytest_run = calls.read_text().splitlines()
    assert pip.endswith(f"-e {REPO}[test]")
    assert pytest_run.startswith("python -m pytest") and pytest_run.endswith("--co -q")


def test_ci_installs_through_setup_sh_and_its_one_list():
    ci = (REPO / ".ci/run").read_text()
    assert "apt-get" not in ci and "exec ./setup.sh test" in ci
    demo, test = apt_list("APT_PACKAGES"), apt_list("TEST_APT_PACKAGES")
    # what the tests call: git ls-files, pgrep, systemd-sysusers, ip, the arm64 chroot
    for package in ("git", "procps", "systemd", "iproute2", "espeak-ng", "qemu-user-static",
                    "binfmt-support", "chromium"):
        assert package in demo + test, package
    assert "chromium" not in demo  # the demo is opened in the newcomer's own browser
