"""A real station process in Debian's Chromium, shared by the browser tests that drive one, and
the language the kiosk's own browser unit gives Chromium (its date fields read 年/月/日)."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

from kiosk.sim.pcscd import PcscdHarness
from kiosk.testing.station import StationProcess, TapDriver
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "kiosk-browser.service"


def kiosk_browser_language() -> tuple[dict[str, str], list[str]]:
    """The language kiosk-browser.service gives Chromium: its LANGUAGE and its --lang flag."""
    text = UNIT.read_text(encoding="utf-8")
    return dict(re.findall(r"^Environment=(LANGUAGE)=(\S+)$", text, re.M)), re.findall(
        r"(--lang=[\w-]+)", text)


@contextlib.contextmanager
def station_in_chromium(pcscd: PcscdHarness, config_path: Path,
                        chromium_args: tuple[str, ...] = (),
                        chromium_env: dict[str, str] | None = None) -> Iterator[tuple]:
    """(station, browser, tap driver): a station process on ``config_path`` (already seeded),
    Chromium (with ``chromium_env`` added to its environment) and a tap driver on the session's
    pcscd (restarted with its reader if a test stopped it); everything is stopped again on the
    way out."""
    if pcscd.proc is None or pcscd.proc.poll() is not None or not pcscd.with_reader:
        pcscd.with_reader = True
        pcscd.start()
    station = StationProcess(config_path)
    station.start()
    from playwright.sync_api import sync_playwright
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *chromium_args],
                env={**os.environ, **chromium_env} if chromium_env else None)
            driver = TapDriver(pcscd)
            try:
                yield station, browser, driver
            finally:
                driver.close()
                browser.close()
    finally:
        station.stop()
