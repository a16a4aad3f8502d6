""""Sync now" asked from outside the station process, and the station's answer.

The running station is its database's one writer, so `kiosk sync` (and the dashboard's button)
do not push themselves: they leave a request file (``sync-now``) in the data directory, and the
station's sync thread takes it (removes it) at its next look: within a second while it waits,
after the attempt in hand while it is pushing. The console's request carries a token; after the
push it asked for, the thread writes how it went to ``sync-result.json`` under that token, so
`kiosk sync` can say what happened (the county's error, when the station tries again) instead
of watching a backlog that does not move until its timeout. Both files are written only on
request, never on the station's own schedule: the SD card is spared.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

SYNC_NOW = "sync-now"
SYNC_RESULT = "sync-result.json"


@dataclass(frozen=True)
class SyncResult:
    """How the push a request asked for went: ``error`` is empty when the county took it all;
    otherwise the station tries again by itself in ``retry_in_s`` seconds."""

    token: str
    error: str
    retry_in_s: float
    acked_seq: int
    head_seq: int

    @property
    def ok(self) -> bool:
        return not self.error


def request_sync(data_dir: Path | str, token: str = "") -> None:
    """Ask the station's sync thread to push at once; ``token`` asks for an answer too."""
    (Path(data_dir) / SYNC_NOW).write_text(token, encoding="ascii")


def new_token() -> str:
    return secrets.token_hex(8)


def request_pending(data_dir: Path | str) -> bool:
    """True while the sync thread has not taken the request yet."""
    return (Path(data_dir) / SYNC_NOW).exists()


def take_request(data_dir: Path | str) -> str | None:
    """The waiting request's token ("" for one that wants no answer) and remove it; None when
    there is none."""
    path = Path(data_dir) / SYNC_NOW
    try:
        token = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    path.unlink(missing_ok=True)
    return token


def write_result(data_dir: Path | str, result: SyncResult) -> None:
    """The answer to a request, written whole (a reader never sees half of it)."""
    path = Path(data_dir) / SYNC_RESULT
    partial = path.with_name(path.name + ".new")
    partial.write_text(json.dumps(asdict(result)), encoding="utf-8")
    os.replace(partial, path)


def read_result(data_dir: Path | str, token: str) -> SyncResult | None:
    """The answer to the request with ``token``, once the station has written it."""
    try:
        found = json.loads((Path(data_dir) / SYNC_RESULT).read_text(encoding="utf-8"))
        result = SyncResult(**found)
    except (OSError, ValueError, TypeError):
        return None
    return result if result.token == token else None
