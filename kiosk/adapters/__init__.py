"""Adapters: a real one and an in-package fake behind each port in kiosk.ports."""
