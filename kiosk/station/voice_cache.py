"""The rendered announcements on disk, bounded in size and pruned by age.

A call's WAV (chime, sentence, pause, sentence: about 9 s, 400 KiB) is kept so that a re-call,
the other screens asking for the same call, and the same number to the same room on a later
day cost a file read instead of a render. Unbounded, this was finding N5 of the second
security round (docs/security.md): a stranger asking for every number filled the SD card.
Now the directory holds at most ``max_bytes`` (``queue.voice_cache_mb``); a file not played
for ``MAX_AGE_DAYS`` goes, and when the bound is passed the least recently played go first.
A hit touches the file's modification time, which is what "played" means here. File ages
are the file system's own times, so they are compared with the machine's clock, not the
station's Clock (both are the same clock on the Pi).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

MAX_AGE_DAYS = 7
SUFFIX = ".wav"


class VoiceCache:
    def __init__(self, directory: Path, max_bytes: int, max_age_days: float = MAX_AGE_DAYS):
        self.directory, self.max_bytes = Path(directory), max_bytes
        self.max_age_seconds = max_age_days * 86400
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        path = self.directory / f"{key}{SUFFIX}"
        try:
            data = path.read_bytes()
            os.utime(path)  # played now: the last to go
        except FileNotFoundError:
            return None
        return data

    def put(self, key: str, data: bytes) -> None:
        with self._lock:
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / f"{key}{SUFFIX}"
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
            self._prune(keep=path)

    def prune(self) -> int:
        """Files older than the age limit, then the least recently played beyond the size
        bound, and leftovers of an interrupted write; returns the bytes freed."""
        with self._lock:
            return self._prune()

    def size(self) -> int:
        return sum(size for _, _, size in self._files())

    def _files(self) -> list[tuple[float, Path, int]]:
        found = []
        try:
            entries = list(os.scandir(self.directory))
        except FileNotFoundError:
            return []
        for entry in entries:
            if entry.is_file(follow_symlinks=False):
                stat = entry.stat(follow_symlinks=False)
                found.append((stat.st_mtime, Path(entry.path), stat.st_size))
        return sorted(found)

    def _prune(self, keep: Path | None = None) -> int:
        now, freed = time.time(), 0
        files = self._files()
        total = sum(size for _, _, size in files)
        for mtime, path, size in files:  # oldest first
            stale = now - mtime > self.max_age_seconds or path.suffix != SUFFIX
            if path != keep and (stale or total > self.max_bytes):
                path.unlink(missing_ok=True)
                total -= size
                freed += size
        return freed
