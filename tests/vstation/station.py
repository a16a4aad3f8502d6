"""What the VM tests do on the booted station, as a technician would at its console: unit
states, the kiosk CLI as the kiosk user, residents with virtual cards, taps on the vpcd reader.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import time

from tests.vstation.machine import GuestError, Machine, Result

KIOSK = "/opt/kiosk/venv/bin/kiosk --config /etc/kiosk/kiosk.toml"
PYTHON = "/opt/kiosk/venv/bin/python"
CARDS = "/root/vm-cards.json"
TOOLS = "/usr/local/lib/kiosk-test"


def unit(machine: Machine, name: str) -> dict[str, str]:
    """systemctl show's properties of one unit."""
    out = machine.sh(f"systemctl show {shlex.quote(name)}").check().out
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def as_kiosk(machine: Machine, command: str, timeout: float = 120.0) -> Result:
    """A command as the kiosk user, the way docs/deploy.md tells a technician to run it."""
    return machine.sh(f"cd / && runuser -u kiosk -- {command}", timeout=timeout)


def kiosk_cli(machine: Machine, args: str, timeout: float = 120.0) -> Result:
    return as_kiosk(machine, f"{KIOSK} {args}", timeout)


def doctor_fails(machine: Machine) -> tuple[list[str], str]:
    """The names of the FAIL lines of `kiosk doctor`, and its whole output."""
    result = kiosk_cli(machine, "doctor")
    lines = (result.out + result.err).splitlines()
    # "FAIL 技术员 / technicians: 0 active": the English name
    return sorted({line[4:].split(":")[0].split(" / ")[-1].strip()
                   for line in lines if line.startswith("FAIL")}), result.out + result.err


def wait_active(machine: Machine, name: str, timeout: float = 300.0) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while True:
        props = unit(machine, name)
        if props.get("ActiveState") == "active" or time.monotonic() > deadline:
            return props
        time.sleep(3)


def wait_station_ready(machine: Machine, since: int, timeout: float = 300.0) -> None:
    """Until kiosk.service has said "ready" on its report port after ``since`` reports."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(r.get("kind") == "ready" for r in machine.reports()[since:]):
            return
        time.sleep(1)
    raise GuestError(f"kiosk.service did not report ready in {timeout}s: "
                     f"{unit(machine, 'kiosk.service').get('ActiveState')}")


def seed_cards(machine: Machine, count: int) -> list[dict]:
    """Residents with signed virtual cards, registered with kiosk.service stopped (the
    station's database has one writer); the station is started again after. Once per
    station: a second call returns the cards the first made."""
    if machine.sh(f"test -s {CARDS}").rc == 0:
        return json.loads(machine.sh(f"cat {CARDS}").check().out)
    machine.sh("systemctl stop kiosk.service", timeout=60).check()
    try:
        # About a second per resident under TCG on a loaded machine (the key and card writes).
        as_kiosk(machine, f"{PYTHON} {TOOLS}/vm_cards.py seed {count} > {CARDS}",
                 timeout=120 + 2 * count).check()
        machine.sh("sync").check()  # the cards must outlive the power cuts to come
    finally:
        since = len(machine.reports())
        machine.sh("systemctl start kiosk.service", timeout=120).check()
    wait_station_ready(machine, since)
    return json.loads(machine.sh(f"cat {CARDS}").check().out)


def tap(machine: Machine, count: int, pause: float = 0.5, first: int = 0,
        timeout: float = 300.0) -> list[dict]:
    """Tap ``count`` cards from card ``first`` on and wait for the taps to finish; one line
    per tap."""
    out = machine.sh(f"{PYTHON} {TOOLS}/vm_cards.py tap {CARDS} {count} {pause} {first}",
                     timeout=timeout).check().out
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def start_taps(machine: Machine, count: int, pause: float = 0.2, first: int = 0) -> None:
    """Tap in the background (a burst a power cut can land in)."""
    machine.sh(f"setsid {PYTHON} {TOOLS}/vm_cards.py tap {CARDS} {count} {pause} {first} "
               ">/root/taps.log 2>&1 < /dev/null &").check()


def wait_reports(machine: Machine, kind: str, more_than: int, timeout: float) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        found = [r for r in machine.reports() if r.get("kind") == kind]
        if len(found) > more_than or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def sql(machine: Machine, query: str) -> list[list]:
    """Rows of a read-only query on the station's database (as the kiosk user)."""
    script = ("import json,sqlite3,sys; c=sqlite3.connect('file:/var/lib/kiosk/kiosk.db?mode=ro',"
              " uri=True); print(json.dumps([list(r) for r in c.execute(sys.argv[1])]))")
    out = as_kiosk(machine, f"{PYTHON} -c {shlex.quote(script)} {shlex.quote(query)}").check().out
    return json.loads(out)


def current_release(machine: Machine) -> str:
    return machine.sh("readlink /opt/kiosk/current").check().out.strip()


def main_pid(machine: Machine, name: str) -> str:
    return unit(machine, name)["MainPID"]


# setup.sh puts this on a Pi's boot line (cmdline.txt) for --read-only-root; the virtual
# station has no cmdline.txt, so the harness gives it to the kernel (Machine.cmdline).
OVERLAY_ROOT = "overlayroot=tmpfs:recurse=0"


def card_count(cuts: int) -> int:
    """Residents to seed at the first tap: enough for new check-ins at every power cut (seeded
    before the root turns read-only, so the cards file is on the real root)."""
    return max(60, 8 * cuts)


def read_screen(machine: Machine, path, language: str = "chi_sim") -> str:
    """What the touchscreen shows, as text: a QMP screendump read by Debian's tesseract (the
    whitespace it puts between Chinese characters removed)."""
    machine.screendump(path)
    out = subprocess.run(["tesseract", str(path), "-", "-l", language], capture_output=True,
                         text=True, timeout=120)
    return "".join(out.stdout.split())


def wait_screen_text(machine: Machine, wanted: str, path, timeout: float = 420.0,
                     every: float = 10.0) -> str:
    """Screendumps over a window until ``wanted`` is read on one (Chromium under TCG takes its
    time to paint); the last text read if it never is."""
    deadline = time.monotonic() + timeout
    while True:
        text = read_screen(machine, path)
        if wanted in text or time.monotonic() > deadline:
            return text
        time.sleep(every)


def tap_until_checked_in(machine: Machine, first: int, attempts: int = 3,
                         timeout: float = 180.0) -> list[dict]:
    """Tap card ``first`` until the station reports a check-in after the ``first`` it had, and
    return the check-ins. Right after kiosk.service (re)started, a loaded machine under TCG
    may still be starting Chromium and pcscd may not yet hand the station the vpcd reader: a
    tap it did not see is tapped again (a tap it did see and that comes again is a repeat,
    still a check-in report), ``timeout`` seconds for each."""
    found: list[dict] = []
    for _ in range(attempts):
        tap(machine, 1, first=first)
        found = wait_reports(machine, "checked_in", first, timeout=timeout)
        if len(found) > first:
            return found
    return found


def in_browser(machine: Machine, command: str, *args: str, timeout: float = 60.0) -> Result:
    """tests/vstation/guest/vm_browser.py in the station: the kiosk's own Chromium, through
    its DevTools port on loopback (test image only)."""
    quoted = " ".join(shlex.quote(a) for a in args)
    return machine.sh(f"/usr/bin/python3 {TOOLS}/vm_browser.py {command} {quoted}",
                      timeout=timeout)
