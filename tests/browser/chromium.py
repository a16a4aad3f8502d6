"""Debian's Chromium for the browser tests, and what they do with it: the browser and its
flags, a free port, a page on the kiosk's screen, a card's tap through the real pcscd, a screen
waited for, the kiosk screens' layout rule and ``measure``, every check of a page at once
(tests/browser/test_touch_sizes.py walks every page with it, test_day_in_the_life.py every step). Shared by tests/browser/ and tests/security/
(a test module imports these from here, never from another test module).

Screenshots go to test-artifacts/screens/ (kept by CI as artifacts).
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

from tests.browser.perceived import clipped, small_targets, visible_errors

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def open_page(browser, url, width=800, height=480, lang=None):
    """A page at ``url``; with ``lang``, the other language pressed on the idle screen (English
    lasts for one resident: the next tap, or the screen idling out, brings Chinese back)."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url + (("&" if "?" in url else "?") + "idle=1" if lang else ""))
    if lang:
        page.click("#lang")
    page.wait_for_function("document.body.dataset.connected === 'yes'")
    return page


def tap(driver, card, slot=0):
    """A card tapped on a reader (vpcd slot): placed, read by the station, taken away."""
    driver.place(slot, card)
    driver.slots[slot].uid_read.wait(3) or driver.slots[slot].occupied or time.sleep(0.3)
    time.sleep(0.1)
    driver.remove(slot)


def check_layout(page, name, scroll_y=False):
    """The kiosk screens' rule: every target a finger can reach (links, buttons, fields,
    <summary>, ...: tests/browser/perceived.py) at least 48x48 CSS px (hidden inputs and elements
    not rendered are not reachable), no horizontal scroll, no vertical scroll unless
    ``scroll_y`` (the technician pages may scroll down)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.screenshot(path=str(ARTIFACTS / f"{name}-{size['width']}x{size['height']}.png"),
                    full_page=scroll_y)
    layout = page.evaluate("""() => {
        const d = document.documentElement;
        return {sw: d.scrollWidth, cw: d.clientWidth, sh: d.scrollHeight, ch: d.clientHeight};
    }""")
    layout["small"] = small_targets(page)
    assert layout["sw"] <= layout["cw"], f"{name} scrolls horizontally: {layout}"
    assert scroll_y or layout["sh"] <= layout["ch"], f"{name} scrolls vertically: {layout}"
    assert not layout["small"], f"{name}: touch targets under 48x48: {layout['small']}"


# The desk's pages (a laptop, a tablet): tables keep their columns, every form that takes text
# has a submit button (Enter submits), no positive tabindex (Tab follows the page).
DESK_CHECK = """() => {
    const problems = [];
    for (const t of document.querySelectorAll('table')) {
        if (getComputedStyle(t).display !== 'table') problems.push('a table is not laid out as one');
        for (const row of t.rows) {
            const tops = [...row.cells].map(c => Math.round(c.getBoundingClientRect().top));
            if (new Set(tops).size > 1) { problems.push('a table row wraps: ' + row.innerText.slice(0, 40)); break; }
        }
    }
    for (const f of document.querySelectorAll('form')) {
        const typed = f.querySelector('input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea');
        const submit = f.querySelector('button:not([type=button]), input[type=submit]');
        if (typed && !submit) problems.push('a form without a submit button: ' + f.outerHTML.slice(0, 80));
    }
    for (const e of document.querySelectorAll('[tabindex]'))
        if (e.tabIndex > 0) problems.push('a positive tabindex: ' + e.outerHTML.slice(0, 80));
    return problems;
}"""


def measure(page, name: str, public: bool, desk: bool, error_expected: bool = False) -> list[str]:
    """The layout check above (``public``: the page may not scroll down), the desk's checks
    (``desk``), visible errors (unless the walk caused one) and clipped content, as a list of
    problems."""
    problems = []
    try:
        check_layout(page, name, scroll_y=not public)
    except AssertionError as exc:
        problems.append(str(exc))
    if desk:
        problems += page.evaluate(DESK_CHECK)
    if not error_expected:
        problems += [f"an error shown that did not happen: {e}" for e in visible_errors(page)]
    problems += [f"clipped: {c}" for c in clipped(page, page_scrolls=not public)]
    return problems


def wait_screen(page, name, timeout=8000):
    page.wait_for_selector(f"#screen[data-screen='{name}']", timeout=timeout)
