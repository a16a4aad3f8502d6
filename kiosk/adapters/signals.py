"""Lights and buzzer: gpiozero on the Pi (mock pins elsewhere) and a recording fake."""

from __future__ import annotations

import logging

from kiosk.ports import Signal

log = logging.getLogger(__name__)


class RecordingSignals:
    """Fake: remembers what was shown, for tests and headless demos."""

    def __init__(self) -> None:
        self.shown: list[Signal] = []

    def show(self, signal: Signal) -> None:
        self.shown.append(signal)

    def close(self) -> None:
        pass


class GpioSignals:
    """Ready light, attention light and buzzer on GPIO pins; this process owns the lines."""

    def __init__(self, ready_pin: int, attention_pin: int, buzzer_pin: int,
                 mock: bool = False) -> None:
        from gpiozero import LED, Buzzer, Device  # only this adapter needs gpiozero
        factory = None
        if mock:
            from gpiozero.pins.mock import MockFactory
            factory = MockFactory()
            log.info("GPIO: using gpiozero's mock pin factory (not on a Raspberry Pi)")
        self.factory = factory or Device.pin_factory
        self.ready = LED(ready_pin, pin_factory=factory)
        self.attention = LED(attention_pin, pin_factory=factory)
        self.buzzer = Buzzer(buzzer_pin, pin_factory=factory)

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
        for device in (self.ready, self.attention, self.buzzer):
            device.close()
