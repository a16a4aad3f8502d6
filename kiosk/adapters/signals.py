"""Lights, buzzer and the optional button: gpiozero on the Pi, its mock pins elsewhere.

On Bookworm only one process may own a GPIO line: the station process owns them
all. Off a Pi (or with kind = "mock") gpiozero's MockFactory stands in, said
once in the log. Beeps: one short for a check-in, two short for an unknown card,
one long for an error. The button: a press reprints the last receipt, holding it
for two seconds calls staff (the attention light blinks).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from kiosk.ports import Signal

log = logging.getLogger(__name__)
HOLD_SECONDS = 2.0


class RecordingSignals:
    """Fake: remembers what was shown, for tests and headless demos."""

    def __init__(self) -> None:
        self.shown: list[Signal] = []

    def show(self, signal: Signal) -> None:
        self.shown.append(signal)

    def close(self) -> None:
        pass


def _pin_factory(mock: bool):
    from gpiozero import Device
    from gpiozero.exc import BadPinFactory
    from gpiozero.pins.mock import MockFactory
    if mock:
        log.info("GPIO: gpiozero's mock pin factory (signals.kind = \"mock\")")
        return MockFactory()
    try:
        return Device._default_pin_factory()
    except BadPinFactory as exc:
        log.warning("GPIO: not on a Raspberry Pi (%s); using gpiozero's mock pins", exc)
        return MockFactory()


class GpioSignals:
    def __init__(self, ready_pin: int, attention_pin: int, buzzer_pin: int,
                 button_pin: int = 0, mock: bool = False,
                 on_press: Callable[[], None] | None = None,
                 on_hold: Callable[[], None] | None = None) -> None:
        from gpiozero import LED, Button, Buzzer
        self.factory = _pin_factory(mock)
        self.ready = LED(ready_pin, pin_factory=self.factory)
        self.attention = LED(attention_pin, pin_factory=self.factory)
        self.buzzer = Buzzer(buzzer_pin, pin_factory=self.factory)
        self.button = None
        self.on_press, self.on_hold = on_press or (lambda: None), on_hold or (lambda: None)
        self._held = False
        if button_pin:
            self.button = Button(button_pin, hold_time=HOLD_SECONDS, pin_factory=self.factory)
            self.button.when_held = self._button_held
            self.button.when_released = self._button_released

    def _button_held(self) -> None:
        self._held = True
        log.info("button held: resident asks for staff")
        self.call_staff()
        self.on_hold()

    def _button_released(self) -> None:
        if not self._held:
            log.info("button pressed: reprint last receipt")
            self.on_press()
        self._held = False

    def call_staff(self) -> None:
        self.attention.blink(on_time=0.5, off_time=0.5, n=60)

    def show(self, signal: Signal) -> None:
        if signal in (Signal.READY, Signal.SUCCESS):
            self.ready.on()
            self.attention.off()
        else:
            self.ready.off()
            self.attention.on()
        if signal == Signal.SUCCESS:
            self.buzzer.beep(on_time=0.08, off_time=0.0, n=1)
        elif signal == Signal.UNKNOWN_CARD:
            self.buzzer.beep(on_time=0.08, off_time=0.08, n=2)
        elif signal in (Signal.ERROR, Signal.READER_DOWN):
            self.buzzer.beep(on_time=0.6, off_time=0.0, n=1)

    def close(self) -> None:
        for device in (self.ready, self.attention, self.buzzer, self.button):
            if device is not None:
                device.close()
