"""Run the virtual station by hand: `sudo python3 -m tests.vstation` (docs/deploy.md).

Builds (or reuses) the disk with this copy of the project installed by `setup.sh install`,
boots it, waits for the kiosk, and gives a root prompt inside the station through the test
agent. `:screen FILE.png` saves what the touchscreen shows; `:quit` (or Ctrl-D) powers off.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from tests.vstation.image import data_disk, log, releases_disk, station_image
from tests.vstation.machine import GuestError, Machine
from tests.vstation.station import wait_station_ready


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m tests.vstation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, help="where the VM's overlay disk, console log and "
                        "sockets go (default: a new temporary directory)")
    parser.add_argument("--cmdline", default="", help="more words for the kernel's command "
                        "line, e.g. overlayroot=tmpfs:recurse=0 after an install with "
                        "--read-only-root LABEL=kiosk-data")
    parser.add_argument("-c", "--command", action="append", default=[],
                        help="run this in the station and print its output, instead of a prompt "
                             "(may be repeated)")
    args = parser.parse_args(argv)
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="kiosk-vstation-"))
    image = station_image()
    # Again with the same --dir: the same station (its disk overlay and data disk) boots again.
    disks = tuple(workdir / name if (workdir / name).exists() else make(workdir)
                  for name, make in (("releases.img", releases_disk), ("data.img", data_disk)))
    machine = Machine(image, workdir, cmdline=args.cmdline, extra_disks=disks)
    started, since = time.monotonic(), len(machine.reports())
    machine.start()
    wait_station_ready(machine, since, timeout=600)
    log(f"station up after {time.monotonic() - started:.0f} s ({machine.accel}); serial console "
        f"log {workdir / 'console.log'}, tap reports {workdir / 'reports.log'}")
    try:
        if args.command:
            return max(run(machine, command) for command in args.command)
        prompt(machine)
        return 0
    finally:
        log("powering off")
        machine.shutdown()


def run(machine: Machine, command: str) -> int:
    result = machine.sh(command, timeout=1800)
    sys.stdout.write(result.out)
    sys.stderr.write(result.err)
    return result.rc


def prompt(machine: Machine) -> None:
    print("root prompt in the station (commands run with bash; :screen FILE.png, :quit)")
    while True:
        try:
            line = input("vm-01# ").strip()
        except EOFError:
            return
        if line in (":quit", ":q"):
            return
        if line.startswith(":screen"):
            target = Path(line.split(maxsplit=1)[1] if " " in line else "screen.png").resolve()
            print(machine.screendump(target))
        elif line:
            try:
                run(machine, line)
            except GuestError as exc:
                print(exc, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
