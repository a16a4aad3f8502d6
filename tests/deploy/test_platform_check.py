"""A wheelhouse or a venv for another architecture or Python is refused before anything is
installed (issue 26): deploy/platform_check.py reads wheel tags and ELF headers, and setup.sh
asks it for the target (this machine, or a root's own files under --root)."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest

from tests.deploy.test_setup_install import REPO, install

_spec = importlib.util.spec_from_file_location("platform_check", REPO / "deploy/platform_check.py")
assert _spec and _spec.loader
platform_check = importlib.util.module_from_spec(_spec)  # deploy/ holds scripts, not a package
_spec.loader.exec_module(platform_check)

ELF_MACHINE = {"aarch64": 0xB7, "x86_64": 0x3E, "armv7l": 0x28}


def fake_elf(path: Path, machine: str) -> None:
    """The first 20 bytes of a little-endian ELF file for ``machine`` (all the check reads)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(11) + ELF_MACHINE[machine].to_bytes(2, "little")
                     + bytes(44))


@pytest.mark.parametrize("wheel,machine,python,problem", [
    ("click-8.1.7-py3-none-any.whl", "aarch64", "3.11", ""),
    ("pyscard-2.3.1-cp311-cp311-linux_aarch64.whl", "aarch64", "3.11", ""),
    ("cryptography-43.0.1-cp39-abi3-manylinux_2_28_aarch64.whl", "aarch64", "3.11", ""),
    ("pillow-11.0.0-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl", "aarch64",
     "3.11", ""),
    ("pyscard-2.3.1-cp311-cp311-linux_x86_64.whl", "aarch64", "3.11",
     "built for linux_x86_64, not aarch64"),
    ("cryptography-43.0.1-cp39-abi3-manylinux_2_28_x86_64.whl", "aarch64", "3.11",
     "built for manylinux_2_28_x86_64, not aarch64"),
    ("pyscard-2.3.1-cp312-cp312-linux_aarch64.whl", "aarch64", "3.11",
     "built for Python cp312, not 3.11"),
    ("cryptography-43.0.1-cp312-abi3-manylinux_2_28_aarch64.whl", "aarch64", "3.11",
     "built for Python cp312, not 3.11"),
])
def test_wheel_tags_against_the_target(wheel, machine, python, problem):
    assert platform_check.wheel_problem(wheel, machine, python) == problem


def test_a_venv_is_checked_by_its_python_and_its_compiled_modules(tmp_path):
    venv = tmp_path / "venv"
    site = venv / "lib/python3.11/site-packages"
    (venv / "pyvenv.cfg").parent.mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.2\n")
    fake_elf(site / "smartcard/scard/_scard.cpython-311-aarch64-linux-gnu.so", "aarch64")
    assert platform_check.check_venv(venv, "aarch64", "3.11") == []
    fake_elf(site / "cryptography/hazmat/bindings/_rust.abi3.so", "x86_64")
    assert platform_check.check_venv(venv, "aarch64", "3.11") == [
        "lib/python3.11/site-packages/cryptography/hazmat/bindings/_rust.abi3.so: built for "
        "x86_64, not aarch64"]
    assert "made with Python 3.11.2, not 3.12" in platform_check.check_venv(venv, "aarch64", "3.12")[0]


def arm64_root(image_root) -> Path:
    """The deployment tests' image root, with the parts of an arm64 Raspberry Pi OS that tell
    its architecture and Python (an aarch64 /usr/bin/dpkg, python3 -> python3.11)."""
    root, _ = image_root
    fake_elf(root / "usr/bin/dpkg", "aarch64")
    (root / "usr/bin/python3").symlink_to("python3.11")
    return root


def test_an_x86_wheelhouse_is_refused_for_an_arm64_image_before_anything_is_installed(
        image_root, tmp_path):
    root = arm64_root(image_root)
    house = tmp_path / "house"
    house.mkdir()
    (house / "click-8.1.7-py3-none-any.whl").write_bytes(b"")
    (house / "pyscard-2.3.1-cp311-cp311-linux_x86_64.whl").write_bytes(b"")
    result = install("--root", str(root), "--no-apt", "--station-id", "st-01", "--wheels", str(house))
    assert result.returncode == 1
    assert ("the wheelhouse " + str(house) + " is not for this station (aarch64, Python 3.11): "
            "pyscard-2.3.1-cp311-cp311-linux_x86_64.whl: built for linux_x86_64, not aarch64"
            ) in result.stderr
    assert "nothing was installed" in result.stderr
    assert not (root / "opt").exists() and not (root / "etc/kiosk").exists()
    (house / "pyscard-2.3.1-cp311-cp311-linux_x86_64.whl").rename(
        house / "pyscard-2.3.1-cp311-cp311-linux_aarch64.whl")
    fits = install("--root", str(root), "--no-apt", "--station-id", "st-01", "--wheels", str(house))
    assert fits.returncode == 0, fits.stderr


def test_a_wheelhouse_for_another_python_is_refused_before_anything_is_installed(
        image_root, tmp_path):
    root = arm64_root(image_root)
    house = tmp_path / "house"
    house.mkdir()
    (house / "pyscard-2.3.1-cp312-cp312-linux_aarch64.whl").write_bytes(b"")
    result = install("--root", str(root), "--no-apt", "--station-id", "st-01", "--wheels", str(house))
    assert result.returncode == 1
    assert ("is not for this station (aarch64, Python 3.11): pyscard-2.3.1-cp312-cp312-linux_"
            "aarch64.whl: built for Python cp312, not 3.11") in result.stderr
    assert not (root / "opt").exists() and not (root / "etc/kiosk").exists()


def test_first_boot_refuses_a_venv_built_for_another_machine(image_root, tmp_path):
    """The check as first boot makes it (build_venv on a release whose venv is complete)."""
    root = arm64_root(image_root)
    release = tmp_path / "release"
    fake_elf(release / "venv/lib/python3.11/site-packages/smartcard/_scard.so", "x86_64")
    (release / "venv/pyvenv.cfg").write_text("version = 3.11.2\n")
    (release / "venv/.complete").touch()
    script = ('say() { :; }; note() { :; }; die() { printf "error: %s\\n" "$1" >&2; exit 1; }; '
              'REPO_DIR="$1"; source "$REPO_DIR/deploy/common.sh"; INSTALL_ROOT="$2"; '
              'build_venv "$3"')
    result = subprocess.run(["bash", "-c", script, "check", str(REPO), str(root), str(release)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "is not for this machine (aarch64, Python 3.11)" in result.stderr
    assert "smartcard/_scard.so: built for x86_64, not aarch64" in result.stderr
