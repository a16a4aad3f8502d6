"""`./setup.sh demo` on a fresh Debian 12 root that holds nothing but python3 (issue 21):
`sudo python3 -m tests.freshroot [--keep DIR]`, from the repository.

It makes the root with mmdebstrap (Debian's apt variant plus python3: no compiler, no pcscd,
no git), copies this project's tracked files into it, and in a chroot of it runs the README's
`./setup.sh demo` until the demo is live: its panel answers, and /healthz. It checks that the
demo's venv holds no test tools (pytest, Playwright, hypothesis, ruff, mypy), and prints
`figure:` lines: how long setup.sh took to a live demo, the venv's size, the root's size.

The chroot shares this machine's network (apt and PyPI are needed), so when port 8080 is taken
here the demo takes another one and says so; the check reads the address the demo prints.
pip in the root trusts this machine's CA certificates (PIP_CERT), for a proxy like this one's.
It takes 5 to 10 minutes and needs the network; nothing is left behind without --keep.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MIRROR = "deb http://deb.debian.org/debian bookworm main"
TEST_TOOLS = ("pytest", "playwright", "hypothesis", "ruff", "mypy", "xdist", "import_linter")


def log(message: str) -> None:
    print(f"[freshroot] {message}", flush=True)


def megabytes(path: Path) -> int:
    out = subprocess.run(["du", "-sxm", str(path)], capture_output=True, text=True).stdout
    return int(out.split()[0]) if out else 0


def make_root(root: Path) -> float:
    started = time.monotonic()
    subprocess.run(["mmdebstrap", "--variant=apt", "--include=python3", "bookworm", str(root),
                    MIRROR], check=True, capture_output=True)
    return time.monotonic() - started


def copy_project(dest: Path) -> None:
    files = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], check=True,
                           capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        if (REPO / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)


def mount_all(root: Path) -> list[Path]:
    mounts = []
    for source, target, options in (("proc", "proc", ["-t", "proc"]), ("sysfs", "sys", ["-t", "sysfs"]),
                                     ("/dev", "dev", ["--bind"]), ("/dev/pts", "dev/pts", ["--bind"])):
        (root / target).mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", *options, source, str(root / target)], check=True)
        mounts.append(root / target)
    shutil.copy("/etc/resolv.conf", root / "etc/resolv.conf")
    shutil.copy("/etc/ssl/certs/ca-certificates.crt", root / "tmp/host-ca.crt")
    return mounts


def wait_live(demo: subprocess.Popen, deadline: float) -> tuple[str, list[str]]:
    """The demo panel's address once the demo prints it, and everything it printed."""
    lines: list[str] = []
    assert demo.stdout is not None
    while time.monotonic() < deadline:
        line = demo.stdout.readline()
        if not line:
            raise SystemExit("setup.sh demo ended before the demo was live:\n" + "".join(lines))
        lines.append(line)
        print("    " + line, end="", flush=True)
        found = re.search(r"(http://127\.0\.0\.1:\d+)/demo/", line)
        if found:
            return found.group(1), lines
    raise SystemExit("no demo panel within the time:\n" + "".join(lines))


def get(url: str, deadline: float) -> str:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def check(root: Path) -> dict[str, float]:
    figures: dict[str, float] = {}
    log("making a Debian 12 root with nothing but python3 (mmdebstrap)")
    figures["freshroot_mmdebstrap_s"] = make_root(root)
    figures["freshroot_root_before_mb"] = megabytes(root)
    project = root / "root/kiosk"
    copy_project(project)
    mounts = mount_all(root)
    demo = None
    try:
        log("chroot: ./setup.sh demo")
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8",
               "PIP_CERT": "/tmp/host-ca.crt", "PYTHONUNBUFFERED": "1"}
        started = time.monotonic()
        demo = subprocess.Popen(["chroot", str(root), "/bin/bash", "-c",
                                 "cd /root/kiosk && exec ./setup.sh demo"], env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        base, lines = wait_live(demo, time.monotonic() + 1800)
        health = get(base + "/healthz", time.monotonic() + 120)
        panel = get(base + "/demo/", time.monotonic() + 60)
        figures["freshroot_setup_to_live_demo_s"] = time.monotonic() - started
        assert '"reader"' in health, health
        assert "demo" in panel.lower(), panel[:500]
        log(f"live: {base}/demo/ answers, /healthz says {health.strip()}")
        moved = [line.strip() for line in lines if "in use" in line]
        if moved:
            log(f"the demo said: {moved[0]}")
        site = next((project / ".venv/lib").glob("python3*/site-packages"))
        found = sorted({tool for tool in TEST_TOOLS for p in site.iterdir()
                        if p.name.lower().replace("-", "_").startswith(tool)})
        assert not found, f"test tools in the demo's venv: {found}"
        log("the demo's venv holds no test tools (" + ", ".join(TEST_TOOLS) + ")")
        figures["freshroot_demo_venv_mb"] = megabytes(project / ".venv")
    finally:
        if demo is not None and demo.poll() is None:
            os.killpg(demo.pid, signal.SIGTERM)
            try:
                demo.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(demo.pid, signal.SIGKILL)
        for mount in reversed(mounts):
            subprocess.run(["umount", "-l", str(mount)], check=False)
    figures["freshroot_root_after_mb"] = megabytes(root)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sudo python3 -m tests.freshroot", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", type=Path, help="make the root here and keep it")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("needs root (mmdebstrap, chroot, mount): sudo python3 -m tests.freshroot", file=sys.stderr)
        return 2
    root = args.keep or Path(tempfile.mkdtemp(prefix="kiosk-freshroot-")) / "root"
    try:
        figures = check(root)
    finally:
        if not args.keep:
            shutil.rmtree(root.parent, ignore_errors=True)
    for name, value in figures.items():
        print(f"figure: {name} = {value:.0f} {'s' if name.endswith('_s') else 'MB'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
