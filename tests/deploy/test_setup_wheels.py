"""Offline installs: `setup.sh wheels --out DIR` makes a wheelhouse, and `--wheels DIR` builds
a release's Python environment from it alone, in a network namespace with no network and no
pip configuration (the virtual station's upgrade runs that way; so can a station on a bad line).
Into a mounted root the wheelhouse goes with the release, for first boot."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.test_setup_install import REPO, install


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheels")
    result = subprocess.run([str(REPO / "setup.sh"), "wheels", "--out", str(out)],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "wheels in" in result.stdout
    return out


def release_with_the_app(directory: Path) -> Path:
    files = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        target = directory / "app" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (REPO / name).is_file():
            shutil.copy2(REPO / name, target)
    return directory


def offline(command: list[str]) -> list[str]:
    """No network at all (a fresh network namespace has only a loopback that is down)."""
    return (["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-rn"]) + command


def test_build_venv_from_the_wheelhouse_needs_no_network(wheelhouse, tmp_path):
    release = release_with_the_app(tmp_path / "release")
    script = ('set -euo pipefail; say() { printf "[%s] %s\\n" "$1" "$2"; }; '
              'die() { printf "error: %s\\n" "$1" >&2; exit 1; }; REPO_DIR="$1"; '
              'source "$REPO_DIR/deploy/common.sh"; WHEELS="$2"; build_venv "$3"')
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull  # no mirror or index from this machine's pip.conf
    result = subprocess.run(offline(["bash", "-c", script, "build", str(REPO), str(wheelhouse),
                                     str(release)]), capture_output=True, text=True,
                            timeout=600, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (release / "venv/.complete").exists()
    version = subprocess.run([str(release / "venv/bin/kiosk"), "--version"],
                             capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and "version" in version.stdout
    where = subprocess.run([str(release / "venv/bin/python"), "-c",
                            "import kiosk, smartcard, cryptography; print(kiosk.__file__)"],
                           capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert where.stdout.strip() == str(release / "app/kiosk/__init__.py"), where.stderr


def test_a_wheelhouse_missing_a_package_says_so(tmp_path):
    release = release_with_the_app(tmp_path / "release")
    thin = tmp_path / "thin"
    thin.mkdir()
    (thin / "nothing-1.0-py3-none-any.whl").write_bytes(b"")
    script = ('say() { :; }; note() { :; }; die() { printf "error: %s\\n" "$1" >&2; exit 1; }; '
              'REPO_DIR="$1"; source "$REPO_DIR/deploy/common.sh"; WHEELS="$2"; build_venv "$3"')
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    result = subprocess.run(offline(["bash", "-c", script, "build", str(REPO), str(thin),
                                     str(release)]), capture_output=True, text=True,
                            timeout=600, env=env)
    assert result.returncode == 1
    assert "pip install from the wheelhouse" in result.stderr and "setup.sh wheels" in result.stderr
    assert not (release / "venv").exists()  # never a half-built environment


def test_install_into_a_root_takes_the_wheelhouse_along_for_first_boot(image_root, tmp_path):
    root, _ = image_root
    house = tmp_path / "house"
    house.mkdir()
    (house / "demo-1.0-py3-none-any.whl").write_bytes(b"wheel")
    result = install("--root", str(root), "--no-apt", "--station-id", "st-01",
                     "--wheels", str(house))
    assert result.returncode == 0, result.stderr
    release = (root / "opt/kiosk" / (root / "opt/kiosk/current").readlink())
    assert (release / "wheels/demo-1.0-py3-none-any.whl").read_bytes() == b"wheel"


@pytest.mark.parametrize("make,message", [
    (lambda d: d.mkdir(), "no wheels there"),
    (lambda d: None, "no wheels there"),
])
def test_wheels_option_is_checked(image_root, tmp_path, make, message):
    root, _ = image_root
    house = tmp_path / "house"
    make(house)
    result = install("--root", str(root), "--no-apt", "--station-id", "st-01",
                     "--wheels", str(house))
    assert result.returncode == 1 and message in result.stderr, result.stderr
    lone = install("--root", str(root), "--no-apt", "--station-id", "st-01", "--wheels")
    assert lone.returncode == 1 and "--wheels needs the wheelhouse" in lone.stderr
