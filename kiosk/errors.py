"""One root exception for the project; each subclass also names its builtin kin.

Errors that belong to a port or a module are defined there, under KioskError too
(``Invalid``, ``RecordRefused``, ``CountyRefused``, ...); these are the ones several
layers share."""


class KioskError(Exception):
    """Base class of every error the kiosk raises on purpose."""


class ConfigError(KioskError, ValueError):
    """The config file is missing, unreadable or has a bad value."""

    def __init__(self, key: str, problem: str, fix: str):
        self.key, self.problem, self.fix = key, problem, fix
        super().__init__(f"{key}: {problem} (fix: {fix})")


class KeyFileError(KioskError, PermissionError):
    """The station key file is missing, unreadable or readable by others."""


class StoreError(KioskError, RuntimeError):
    """The database cannot be opened, migrated or written."""


class StoreUnavailable(StoreError):
    """A write could not get the database now (busy, locked, disk trouble); try again."""


class ProtocolError(KioskError, ValueError):
    """A sync message (batch, acknowledgement, roster page) is malformed or not signed."""


class CardIOError(KioskError):
    """The card refused a command, answered nonsense or read back wrong; ``step`` says which."""

    def __init__(self, step: str, sw: bytes = b""):
        super().__init__(f"{step} failed" + (f" (SW {sw.hex().upper()})" if sw else ""))
        self.step, self.sw = step, sw
