"""Lights and buzzer through gpiozero's mock pin factory."""

from kiosk.adapters.signals import GpioSignals
from kiosk.ports import Signal


def test_success_lights_ready_and_beeps_once():
    signals = GpioSignals(17, 27, 22, mock=True)
    signals.show(Signal.SUCCESS)
    assert signals.ready.is_lit and not signals.attention.is_lit
    signals.buzzer._blink_thread.join(2)
    states = [s.state for s in signals.factory.pin(22).states]
    assert states.count(True) == 1
    signals.close()


def test_unknown_card_beeps_twice_and_lights_attention():
    signals = GpioSignals(17, 27, 22, mock=True)
    signals.show(Signal.UNKNOWN_CARD)
    signals.buzzer._blink_thread.join(2)
    assert signals.attention.is_lit
    assert [s.state for s in signals.factory.pin(22).states].count(True) == 2
    signals.close()
