"""The domain core: residents, cards, check-ins, care-plan items and events.

Nothing in here imports Flask, pyscard, escpos, gpiozero or sqlite; a test
(import-linter, run by tests/project/test_architecture.py) keeps it that way.
"""
