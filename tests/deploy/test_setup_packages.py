"""setup.sh demo and test (issue 21): the demo's venv gets the kiosk without its test extra,
`test` adds it; CI installs Debian packages through setup.sh's one list, which holds what the
tests call. A stand-in venv (KIOSK_VENV) records what setup.sh asks of pip and the kiosk."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
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


@pytest.fixture
def open_dir():
    """A directory any user may enter (pytest's tmp_path is root's alone)."""
    directory = Path(tempfile.mkdtemp(prefix="kiosk-wheels-test-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def nothing_installed(open_dir) -> tuple[dict[str, str], Path]:
    """A PATH on which dpkg-query says no package is installed and apt-get only records."""
    bin_dir, calls = open_dir / "bin", open_dir / "apt.log"
    bin_dir.mkdir(mode=0o755)
    (bin_dir / "dpkg-query").write_text("#!/bin/sh\nexit 1\n")
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\nprintf "apt-get %s\\n" "$*" >>"{calls}"\n')
    for program in bin_dir.iterdir():
        program.chmod(0o755)
    calls.touch()
    calls.chmod(0o666)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}, calls


WHEELS_PACKAGES = "python3-venv python3-dev gcc swig libpcsclite-dev"


def test_wheels_names_every_missing_prerequisite_without_root(nothing_installed, open_dir):
    env, calls = nothing_installed
    out = open_dir / "house"
    # a copy of the scripts that user "nobody" can read, wherever the checkout lives (CI's
    # clone sits in a directory only root may enter)
    shutil.copy2(REPO / "setup.sh", open_dir)
    shutil.copytree(REPO / "deploy", open_dir / "deploy")
    result = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                             str(open_dir / "setup.sh"), "wheels", "--out", str(out)],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 1
    assert f"setup.sh wheels needs these Debian packages: {WHEELS_PACKAGES}" in result.stderr
    assert calls.read_text() == "" and not out.exists()  # named before anything is done


def test_wheels_installs_its_prerequisites_as_root(nothing_installed, tmp_path):
    env, calls = nothing_installed
    # --out under a plain file: setup.sh stops just after the prerequisites (no wheel is built)
    (tmp_path / "file").write_text("")
    result = subprocess.run([str(REPO / "setup.sh"), "wheels", "--out", str(tmp_path / "file/house")],
                            capture_output=True, text=True, timeout=60, env=env)
    assert f"apt-get install -y -qq {WHEELS_PACKAGES}" in calls.read_text()
    assert f"installing what builds the wheels: {WHEELS_PACKAGES}" in result.stdout
    assert result.returncode == 1 and "cannot create it" in result.stderr
