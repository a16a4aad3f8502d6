"""Taps on the kiosk's touchscreen, as a finger gives them (Playwright's touchscreen, counted),
and the on-screen keyboard typed with them: shared by tests/browser/test_keyboard.py and
tests/browser/test_day_in_the_life.py."""

from __future__ import annotations

from tests.browser.chromium import ARTIFACTS


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"keyboard-{name}.png"))


class Taps:
    """Taps on the touchscreen (Playwright's touchscreen), counted."""

    def __init__(self, page):
        self.page, self.count, self.typed = page, 0, []

    def on(self, selector: str) -> None:
        target = self.page.locator(selector).first
        # in view above the open keyboard, as a swipe would bring it (scroll-padding-bottom)
        target.evaluate("el => el.scrollIntoView({block: 'nearest'})")
        box = target.bounding_box()
        assert box, f"{selector} is not on the screen"
        self.page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        self.count += 1

    def to_page(self, selector: str) -> None:
        """Tap a link or a submit button, and wait for the page it opens."""
        with self.page.expect_navigation():
            self.on(selector)

    def key(self, char: str) -> None:
        self.on(f"#osk .osk-layout:not([hidden]) [data-char='{char}']")

    def candidate_shown(self, char: str) -> bool:
        return char in self.page.eval_on_selector_all(
            "#osk-candidates [data-candidate]", "bs => bs.map(b => b.textContent)")

    def candidate(self, char: str) -> None:
        self.on(f"#osk-candidates [data-candidate]:text-is('{char}')")

    def syllable(self, letters: str, char: str) -> None:
        """Letter by letter until ``char`` shows in the candidate row, then tap it."""
        for n, letter in enumerate(letters, 1):
            self.key(letter)
            self.typed.append(letter)
            self.page.wait_for_function(f"document.getElementById('osk').dataset.shown === '{letters[:n]}'")
            if self.candidate_shown(char):
                break
        else:
            shot(self.page, "failed")
            raise AssertionError(f"{char} never showed for {letters}")
        self.candidate(char)
        self.typed.append(char)
