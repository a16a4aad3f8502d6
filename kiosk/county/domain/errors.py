"""The county's errors, each under KioskError and its builtin kin."""

from __future__ import annotations

from kiosk.errors import KioskError


class CountyError(KioskError):
    """Base of the county's own errors."""


class UnknownStation(CountyError, LookupError):
    """No station with this id is enrolled."""


class SuccessionRefused(CountyError, ValueError):
    """The county cannot enrol this key as a successor (the message says why)."""


class UserRefused(CountyError, ValueError):
    """A user command was refused: bad name, role, password or code (the message says why)."""


class UnknownUser(CountyError, LookupError):
    """No county user has this name."""
