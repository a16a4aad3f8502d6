"""Exponential backoff with full jitter, shared by everything that retries."""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, initial: float = 0.5, maximum: float = 600.0, factor: float = 2.0,
                 rng: random.Random | None = None):
        self.initial, self.maximum, self.factor = initial, maximum, factor
        self.rng = rng or random.Random()
        self._current = initial

    def next(self) -> float:
        """The next delay: random in [current/2, current], then grow the current step."""
        delay = self.rng.uniform(self._current / 2, self._current)
        self._current = min(self.maximum, self._current * self.factor)
        return delay

    def reset(self) -> None:
        self._current = self.initial
