"""The domain core: residents, cards, check-ins, care-plan items and events.

Nothing in here imports Flask, pyscard, escpos, gpiozero or sqlite; a test
(tests/test_architecture.py) keeps it that way.
"""
