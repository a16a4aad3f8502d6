"""`kiosk doctor`'s card-key line: the card key file (township, versions), or a warning that
without one MIFARE Classic cards keep fixed keys and DESFire cards cannot be issued here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from kiosk.config.loader import Config
from kiosk.errors import ConfigError


@dataclass(frozen=True)
class Check:
    """A doctor line, as kiosk.ops.doctor.Check (which wraps these: no import loop)."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    warn: bool = False


def check_card_keys(config: Config) -> Iterator[Check]:
    cards = config.cards
    if cards.desfire_key_file is None:
        yield Check("card keys", True, "no card key file: MIFARE Classic cards keep fixed keys "
                    f"({cards.mifare_key_a.hex().upper()} by default), DESFire cards cannot be "
                    "issued here", "ask the county for this station's file (kiosk-county card-key "
                    "station), then setup.sh install --card-key FILE", warn=True)
        return
    try:
        ring = cards.keyring()
    except ConfigError as exc:
        yield Check("card keys", False, f"{exc.key}: {exc.problem}", exc.fix)
        return
    assert ring is not None
    yield Check("card keys", True, f"township {ring.township}, key version {ring.version} "
                f"(cards of versions {', '.join(map(str, sorted(ring.keys)))} recognised"
                f"{', re-keyed on their next tap' if cards.rekey and len(ring.keys) > 1 else ''})")
