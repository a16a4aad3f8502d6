"""Does a wheelhouse, or a built virtual environment, fit the machine it is for?

    python3 deploy/platform_check.py --machine aarch64 --python 3.11 --wheels DIR
    python3 deploy/platform_check.py --machine aarch64 --python 3.11 --venv DIR

Run by setup.sh (install, firstboot, image) before anything is installed: a wheelhouse made on
an x86 PC, or for another Python, would otherwise fail half-way through pip on the Pi (or, for
a venv, at the station's first import of pyscard). Exit 0 when everything fits; exit 1 naming
every file that does not, and what it was built for. Standard library only: it runs with the
image's or the station's own python3, or the PC's, before any environment exists.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

# ELF e_machine values (the two bytes at offset 18) of the architectures a station may have.
ELF_MACHINES = {0xB7: "aarch64", 0x28: "armv7l", 0x3E: "x86_64"}
MACHINE_NAMES = {name: number for number, name in ELF_MACHINES.items()}


def elf_machine(path: Path) -> str | None:
    """The architecture an ELF file was built for, None when it is not ELF."""
    try:
        with path.open("rb") as handle:
            header = handle.read(20)
    except OSError:
        return None
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    number = int.from_bytes(header[18:20], "little" if header[5] == 1 else "big")
    return ELF_MACHINES.get(number, f"machine {number}")


def wheel_tags(filename: str) -> tuple[set[str], set[str], set[str]]:
    """(python tags, ABI tags, platform tags) from a wheel's file name (PEP 427: name-version
    [-build]-python-abi-platform.whl, each tag possibly several joined by dots)."""
    parts = filename[:-len(".whl")].split("-")
    if len(parts) not in (5, 6):
        raise ValueError(f"{filename}: not a wheel file name")
    python, abi, platform = parts[-3:]
    return set(python.split(".")), set(abi.split(".")), set(platform.split("."))


def wheel_problem(filename: str, machine: str, python: str) -> str:
    """Why the wheel cannot be installed on ``machine`` with Python ``python`` ("" if it can)."""
    major, minor = (int(n) for n in python.split(".")[:2])
    pythons, abis, platforms = wheel_tags(filename)
    if "any" not in platforms and not any(
            (tag.startswith(("linux_", "manylinux")) and tag.endswith("_" + machine))
            for tag in platforms):
        built = sorted(platforms)[0]
        return f"built for {built}, not {machine}"
    cpython = f"cp{major}{minor}"
    fits = (cpython in pythons
            or ("none" in abis and any(re.fullmatch(rf"py{major}(\d*)", t) for t in pythons))
            or ("abi3" in abis and any(
                t.startswith(f"cp{major}") and t[len(f"cp{major}"):].isdigit()
                and int(t[len(f"cp{major}"):]) <= minor for t in pythons)))
    if not fits:
        return f"built for Python {', '.join(sorted(pythons))}, not {python}"
    return ""


def check_wheelhouse(directory: Path, machine: str, python: str) -> list[str]:
    return [f"{path.name}: {problem}" for path in sorted(directory.glob("*.whl"))
            if (problem := wheel_problem(path.name, machine, python))]


def check_venv(directory: Path, machine: str, python: str) -> list[str]:
    """The venv's Python (pyvenv.cfg) and every compiled module in it."""
    problems = []
    config = directory / "pyvenv.cfg"
    try:
        settings = {key.strip(): value.strip() for key, value in (
            line.split("=", 1) for line in config.read_text().splitlines() if "=" in line)}
    except OSError as exc:
        return [f"{config}: cannot read it ({exc.strerror})"]
    version = (settings.get("version") or settings.get("version_info") or "").strip()
    if version.split(".")[:2] != python.split(".")[:2]:
        problems.append(f"{config}: made with Python {version or '?'}, not {python}")
    for library in sorted(directory.glob("lib/python*/site-packages/**/*.so*")):
        built = elf_machine(library)
        if built is not None and built != machine:
            problems.append(f"{library.relative_to(directory)}: built for {built}, not {machine}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--machine", required=True, choices=sorted(MACHINE_NAMES))
    parser.add_argument("--python", required=True, help="major.minor, e.g. 3.11")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--wheels", type=Path)
    what.add_argument("--venv", type=Path)
    args = parser.parse_args(argv)
    try:
        problems = (check_wheelhouse(args.wheels, args.machine, args.python) if args.wheels
                    else check_venv(args.venv, args.machine, args.python))
    except ValueError as exc:
        problems = [str(exc)]
    for problem in problems[:20]:
        print(problem)
    if len(problems) > 20:
        print(f"... and {len(problems) - 20} more")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
