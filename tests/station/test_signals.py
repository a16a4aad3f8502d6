"""Lights, buzzer and button through gpiozero's mock pin factory: the sequences, asserted."""

import time

import pytest

from kiosk.adapters.signals import GpioSignals
from kiosk.ports import Signal


@pytest.fixture
def signals():
    pressed, held = [], []
    signals = GpioSignals(17, 27, 22, button_pin=23, mock=True,
                          on_press=lambda: pressed.append(1), on_hold=lambda: held.append(1))
    signals.pressed, signals.held = pressed, held
    yield signals
    signals.close()


def buzzer_pulses(signals):
    """(on) durations of the buzzer pin, in seconds."""
    signals.buzzer._blink_thread and signals.buzzer._blink_thread.join(3)
    states = signals.factory.pin(22).states
    return [round(b.timestamp - a.timestamp, 2) for a, b in zip(states, states[1:], strict=False) if a.state]


def test_success_is_one_short_beep_and_the_ready_light(signals):
    signals.show(Signal.SUCCESS)
    assert signals.ready.is_lit and not signals.attention.is_lit
    pulses = buzzer_pulses(signals)
    assert len(pulses) == 1 and pulses[0] < 0.2


def test_unknown_card_is_two_short_beeps_and_attention(signals):
    signals.show(Signal.UNKNOWN_CARD)
    pulses = buzzer_pulses(signals)
    assert signals.attention.is_lit and len(pulses) == 2 and max(pulses) < 0.2


def test_error_is_one_long_beep(signals):
    signals.show(Signal.ERROR)
    pulses = buzzer_pulses(signals)
    assert len(pulses) == 1 and pulses[0] >= 0.5 and signals.attention.is_lit


def test_button_press_reprints(signals):
    pin = signals.factory.pin(23)
    pin.drive_low()
    time.sleep(0.1)
    pin.drive_high()
    time.sleep(0.1)
    assert signals.pressed == [1] and signals.held == []


def test_button_hold_calls_staff(signals, monkeypatch):
    signals.button.hold_time = 0.2
    pin = signals.factory.pin(23)
    pin.drive_low()
    time.sleep(0.5)
    pin.drive_high()
    time.sleep(0.1)
    assert signals.held == [1] and signals.pressed == []  # a hold is not also a press


def test_off_a_pi_gpio_falls_back_to_mock_pins(caplog):
    signals = GpioSignals(5, 6, 13, mock=False)
    assert "mock" in type(signals.factory).__name__.lower() or "Mock" in caplog.text
    signals.close()
