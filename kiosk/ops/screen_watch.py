"""Run the touchscreen (cage and Chromium) and fail when it is not showing the kiosk.

    python -m kiosk.ops.screen_watch [--healthz URL] [--grace SECONDS] -- CAGE-COMMAND...

kiosk-browser.service runs cage under this watcher because cage alone does not tell systemd
when the screen is lost. Measured with Debian 12's cage 0.1.4: it exits 0 when Chromium exits,
even when Chromium crashed, so systemd records no failure; it exits 1 when it cannot start at
all (no Xwayland, no DRM device); and it stays up as long as its client process lives, even if
that client never opens a window, so the unit could sit "active (running)" over a black screen.

The station itself knows whether its page is on the touchscreen: /healthz counts the live
streams opened from this machine. The watcher exits 1 (systemd restarts the unit) when cage
exits, whatever its code, and when the station answers but no kiosk page has been connected
for ``--grace`` seconds (Chromium started but shows nothing, or its page crashed). A station
that does not answer is not the browser's fault: kiosk.service restarts itself, and the
page reconnects by itself.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import urllib.request

from kiosk.i18n import bilingual

HEALTHZ = "http://127.0.0.1:8080/healthz"
GRACE = 120.0  # Chromium's first start on a Pi 3B+ takes most of a minute
POLL = 5.0


def screen_state(healthz: str) -> tuple[int, float] | None:
    """(kiosk pages on this machine with the live stream open, seconds that count has been
    zero or not), from the station's /healthz; None when the station does not answer (or is
    too old to count them)."""
    try:
        with urllib.request.urlopen(healthz, timeout=2) as response:
            health = json.loads(response.read())
    except (OSError, ValueError):
        return None
    screens, steady = health.get("screens"), health.get("screens_for_s", 0.0)
    if not isinstance(screens, int) or not isinstance(steady, (int, float)):
        return None
    return screens, float(steady)


def connected_screens(healthz: str) -> int | None:
    state = screen_state(healthz)
    return None if state is None else state[0]


def say(message: str) -> None:
    print(f"kiosk screen watch: {message}", file=sys.stderr, flush=True)


def stop_child(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def watch(command: list[str], healthz: str = HEALTHZ, grace: float = GRACE, poll: float = POLL,
          stop: threading.Event | None = None) -> int:
    """The exit status for systemd: 1 when the screen was lost, 0 when asked to stop."""
    stop = stop or threading.Event()
    try:
        proc = subprocess.Popen(command)
    except OSError as exc:
        say(f"cannot start {command[0]}: {exc}")
        return 1
    last_seen = time.monotonic()  # the station's page was connected, or could not be asked
    try:
        while not stop.wait(poll):
            code = proc.poll()
            if code is not None:
                say(f"{command[0]} exited (status {code}): "
                    f"{bilingual('the touchscreen is not showing the kiosk')}")
                return 1
            screens = connected_screens(healthz)
            now = time.monotonic()
            if screens is None or screens > 0:
                last_seen = now
            elif now - last_seen > grace:
                say(f"{bilingual('the touchscreen is not showing the kiosk')}: no kiosk page "
                    f"connected for {now - last_seen:.0f} s; stopping {command[0]}")
                return 1
        return 0
    finally:
        stop_child(proc)


def main(argv: list[str]) -> int:
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        print("usage:" + __doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    options, command = argv[:argv.index("--")], argv[argv.index("--") + 1:]
    healthz = options[options.index("--healthz") + 1] if "--healthz" in options else HEALTHZ
    try:
        grace = float(options[options.index("--grace") + 1]) if "--grace" in options else GRACE
    except (IndexError, ValueError):  # e.g. KIOSK_SCREEN_GRACE= left empty in browser.env
        say(f"--grace needs seconds; using {GRACE:.0f}")
        grace = GRACE
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return watch(command, healthz, grace, stop=stop)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
