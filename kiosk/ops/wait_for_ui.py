"""Wait until the station's UI answers (the browser unit runs this before Chromium starts).

    python -m kiosk.ops.wait_for_ui [URL] [--timeout SECONDS]
"""

from __future__ import annotations

import sys
import time
import urllib.request


def wait(url: str = "http://127.0.0.1:8080/healthz", timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


if __name__ == "__main__":
    args = sys.argv[1:]
    limit = float(args[args.index("--timeout") + 1]) if "--timeout" in args else 120.0
    target = next((a for a in args if a.startswith("http")), "http://127.0.0.1:8080/healthz")
    if not wait(target, limit):
        print(f"kiosk UI did not answer at {target} within {limit:.0f} s", file=sys.stderr)
        sys.exit(1)
